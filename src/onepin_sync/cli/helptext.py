"""The `--help` text of the product's commands, in one place so they read alike.

Every command has full sentences and examples; `short_help` is the line in the root command list,
written to fit (click would otherwise cut the first sentence short with "..."). Plain strings:
no imports, so the CLI starts fast. `tests/cli/test_help.py` walks every command's help.
"""

from __future__ import annotations

from typing import TypedDict


class CommandHelp(TypedDict):
    help: str
    short_help: str | None


HELP: dict[str, CommandHelp] = {
    "onepin-sync": {
        "short_help": None,
        "help": """\
Keep Onepin workflows in git: plan and apply YAML workflow files like Terraform.

Each workflow is one YAML file under workflows/; the lockfile onepin-sync.lock maps each file
to its Onepin workflow. `plan` shows what would change and `apply` makes the workspace match
the files. Run `onepin-sync COMMAND --help` for a command's options and examples. The global
options (--debug, --no-color, --quiet, --verbose) go before or after the command name.

\b
Examples:
  onepin-sync init                              start a project in this folder
  onepin-sync validate                          check the files offline
  onepin-sync plan --emulator                   try a plan on the local emulator
  onepin-sync apply --auto-approve --env staging
""",
    },
    "validate": {
        "short_help": "Check the workflow files; offline unless --online.",
        "help": """\
Check every workflow file and report all problems at once, as file:line:column.

Offline (the default) it reads the files strictly and checks the file format, node types,
ports, ids and references; it sends nothing and needs no API key. A ${env.X} or ${secret.X}
needs no value: each must be well-formed, and the variables a plan will need are listed.
--strict-env fails when one of them is unset, as plan does. --online also asks the API
whether each workflow can run (POST /api/v1/workflows/validate) and prints its findings.

\b
Examples:
  onepin-sync validate
  onepin-sync validate --strict-env
  onepin-sync validate --online --env staging
""",
    },
    "plan": {
        "short_help": "Show what apply would change, without changing anything.",
        "help": """\
Show what apply would change, and change nothing.

It reads the workflow files, the lockfile and one listing of the workspace, and prints each
create, update and delete with the fields that change. --out saves the plan for
`apply FILE`; --format markdown suits a pull request comment and --json a program.
--detailed-exitcode exits 2 when there are changes; --refresh-only shows only the changes
made outside onepin-sync (drift).

\b
Examples:
  onepin-sync plan
  onepin-sync plan --emulator
  onepin-sync plan --env production --out plan.json
  onepin-sync plan --format markdown --detailed-exitcode > plan.md
""",
    },
    "apply": {
        "short_help": "Make the workspace match the files, or apply a saved plan.",
        "help": """\
Make the workspace match the workflow files, or apply the saved plan PLAN_FILE.

It plans, shows the plan and asks for `yes` (--auto-approve skips the question, for CI),
then writes exactly the planned changes, records them in the lockfile and checks that a
fresh plan is empty. A saved plan is refused when the lockfile, the files or a planned
workflow changed since it was made. Ctrl-C lets the writes in flight finish and records
them; a second Ctrl-C cancels them.

\b
Examples:
  onepin-sync apply
  onepin-sync apply --emulator --auto-approve
  onepin-sync apply plan.json
  onepin-sync apply --env production --auto-approve --lock-timeout 300
""",
    },
    "import": {
        "short_help": "Adopt workflows made in the Onepin app into workflow files.",
        "help": """\
Adopt workflows made in the Onepin app: write their workflow files and record them in the
lockfile, so the next plan is empty. Nothing is ever sent to Onepin.

`import ID [ID]...` adopts the named workflows at once, each under the key its name gives
(--dir-template); --key KEY names the key of one. When a file already exists at KEY, that
file is adopted as it is and the next plan shows how the workflow differs from it.
`import --all` plans importing every unmanaged workflow that matches --search (the API's
search of names and descriptions) and --name-glob, shows the plan and asks for `yes`
(--auto-approve for scripts; --out FILE saves the plan for `apply FILE`). A key that is
already taken, or wanted by two workflows, is refused with the candidates listed.

\b
Examples:
  onepin-sync list --unmanaged
  onepin-sync import --all --dir-template 'imported/{slug}'
  onepin-sync import --all --search promo --out import.plan.json
  onepin-sync import 3d4c5244-648b-4b68-a4b2-6ee739e47a2a --key support/welcome-call
""",
    },
    "list": {
        "short_help": "List the workspace's workflows, managed or not.",
        "help": """\
List the workflows of the workspace: id, last update, managed or unmanaged, and the key
(the lockfile's, or the one `import` would give with the same --dir-template), then the name.

--unmanaged lists only those `import` could adopt; --json prints one document
(`onepin-sync-list`) on stdout and nothing else. It reads one listing and writes nothing.

\b
Examples:
  onepin-sync list
  onepin-sync list --unmanaged --json
""",
    },
    "pull": {
        "short_help": "Write edits made in the Onepin app into the workflow files.",
        "help": """\
Write changes made outside onepin-sync into the workflow files (all, or only KEYS).

Use it when the version edited in the Onepin app should win. Only the fields that changed
are edited: comments, key order, flow style and quoting of everything else stay, so a
one-field change in the app is a one-line change in git. --dry-run prints the diff of each
file and writes nothing. The lockfile records the change as applied. It refuses files that
use ${env.X} or ${secret.X} (their values would be written in) and files also changed in git
since the last apply (unless --force). It writes nothing to the API.

\b
Examples:
  onepin-sync pull --dry-run
  onepin-sync pull support/welcome-call
""",
    },
    "fmt": {
        "short_help": "Lay the workflow files out in the canonical layout.",
        "help": """\
Lay the workflow files (all, or only KEYS) out in one canonical layout, keeping comments.

Key order, quoting, indentation and flow style for short lists and mappings become the same
in every file; the values never change (each new text is read back and compared first).
--check writes nothing and exits 3 naming the files that would change (for pre-commit and
CI). Offline: nothing is sent.

\b
Examples:
  onepin-sync fmt
  onepin-sync fmt --check
""",
    },
    "force-unlock": {
        "short_help": "Release a state lock whose holder is stuck.",
        "help": """\
Release the state lock held by LOCK_ID when the run holding it is stuck.

A run that waits for the lock prints the holder and its LOCK_ID. Release it only when that
run is no longer working: two applies at once can write the same workflow twice.

\b
Examples:
  onepin-sync force-unlock 6f1c2d3e-0000-4000-8000-000000000000
  onepin-sync force-unlock 6f1c2d3e-0000-4000-8000-000000000000 --env staging
""",
    },
    "init": {
        "short_help": "Start a project: config, an example, CI recipes, hooks.",
        "help": """\
Start a onepin-sync project in DIR (default: the current folder).

It writes the project file onepin-sync.yaml, an example workflow in workflows/ that validates
and applies as it is, the workflow file's JSON Schema in schemas/ (for editors), a .pre-commit-
config.yaml that runs `onepin-sync validate` and `onepin-sync fmt --check`, and the CI recipes:
plan on pull requests, apply on main and a nightly drift check. It adds .onepin-sync/ (this
machine's files) and /onepin-sync.emulator.lock (a trial run's lockfile) to .gitignore. It
never overwrites a file: when any of them exists, it lists them, writes nothing and exits 3.
It talks to no API. Then it prints the next steps.

\b
Examples:
  onepin-sync init
  onepin-sync init voice-flows --ci gitlab
""",
    },
    "schema": {
        "short_help": "Print the JSON Schema of the workflow file format.",
        "help": """\
Print the JSON Schema of the workflow file format on stdout.

Editors with the YAML language server use it for completion and checking when a workflow
file's first line is `# yaml-language-server: $schema=PATH`. `onepin-sync init` writes it
to schemas/workflow.schema.json; after upgrading onepin-sync, write it again.

\b
Examples:
  onepin-sync schema > schemas/workflow.schema.json
  onepin-sync schema | jq '.properties | keys'
""",
    },
    "completion": {
        "short_help": "Print the shell completion script for bash, zsh or fish.",
        "help": """\
Print the script that makes SHELL complete onepin-sync's commands, options and values.

Save it where the shell looks for completions, or load it from the shell's start-up file
(see the examples). It asks onepin-sync itself for each completion, so it stays right after an
upgrade.

\b
Examples:
  onepin-sync completion bash > ~/.local/share/bash-completion/completions/onepin-sync
  echo 'eval "$(onepin-sync completion zsh)"' >> ~/.zshrc
  onepin-sync completion fish > ~/.config/fish/completions/onepin-sync.fish
""",
    },
}


def command_help(name: str) -> CommandHelp:
    """Keyword arguments for `click.command(name, **command_help(name))`."""
    return HELP[name]
