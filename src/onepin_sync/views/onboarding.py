"""What `init` prints: the files it wrote and the next steps, as commands to copy."""

from __future__ import annotations

import shlex

from onepin_sync.commands.init import InitOutcome
from onepin_sync.views.console import ConsoleUi

TRIAL = "--emulator --lockfile onepin-sync.emulator.lock"
"""Trial runs on the embedded emulator keep their own (git-ignored) lockfile, so the project's
lockfile is first written for the real workspace."""

CI_SECRETS = {
    "github": "For CI, add the secret ONEPIN_API_KEY to the repository's Actions secrets.",
    "gitlab": "For CI, add the masked variables ONEPIN_API_KEY and ONEPIN_SYNC_GITLAB_TOKEN.",
}


def init_report(ui: ConsoleUi, outcome: InitOutcome) -> None:
    here = str(outcome.folder) == "."
    ui.info(f"Created a onepin-sync project in {'this folder' if here else outcome.folder}:")
    for path in outcome.created:
        ui.info(f"  {path.as_posix()}")
    if outcome.gitignore != "unchanged":
        ui.info(f"  .gitignore ({outcome.gitignore}: .onepin-sync/ and the trial lockfile)")
    steps = [
        ("Check the files offline (no key needed):", ["onepin-sync validate"]),
        (
            "Try them on the local emulator (no account needed; this lockfile is git-ignored):",
            [f"onepin-sync plan {TRIAL}", f"onepin-sync apply {TRIAL}"],
        ),
        (
            "Apply them to your workspace (log in, or set ONEPIN_API_KEY instead):",
            ["onepin login", "onepin-sync plan", "onepin-sync apply"],
        ),
        (
            "Commit the files and the lockfile:",
            ['git add . && git commit -m "Onepin workflows"'],
        ),
        ("Check the files before every commit (validate, fmt --check):", ["pre-commit install"]),
    ]
    if outcome.ci in CI_SECRETS:
        steps.append((CI_SECRETS[outcome.ci], []))
    if not here:
        steps.insert(0, ("Go to the project:", [f"cd {shlex.quote(str(outcome.folder))}"]))
    ui.info("")
    ui.info("Next steps:")
    for explanation, commands in steps:
        ui.info(f"  {explanation}")
        for command in commands:
            ui.info(f"    {command}")
