"""One module per command, each `run(settings, env, ui) -> Outcome` with the outcome's exit code.

    validate.py, plan.py, apply.py, importing.py (`import`), listing.py (`list`), pull.py,
    fmt.py, force_unlock.py, init.py
    context.py   what every command runs in: Ui port, environment, inputs, connection, lock
    preparation.py  once connected: the target's lockfile bound to the key's workspace, the
                 server's catalogue, and an interrupted apply settled
    target.py    the API target: base URL, key and workspace, resolved like the official CLI
    executor.py  runs exactly a plan's writes, journalled
    plan_file.py reads a saved plan file for `apply FILE`

Commands orchestrate files/, api/, state/ and core/ (and start the embedded emulator for
--emulator); they never import click or rich, nor views/ or cli/.
"""
