"""The commands of a new user's first minutes: `init`, `schema` and `completion`.

Only click is imported at the top; the command modules and views are imported inside each
command's body, so `onepin-sync --help` and shell completion stay fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from onepin_sync.cli.helptext import command_help

SHELLS = ("bash", "zsh", "fish")
CI_SYSTEMS = ("github", "gitlab", "none")


@click.command("init", **command_help("init"))
@click.argument("folder", metavar="[DIR]", default=".", type=click.Path(path_type=Path))
@click.option(
    "--ci",
    type=click.Choice(CI_SYSTEMS),
    default="github",
    show_default=True,
    help="Which CI recipes to write: GitHub Actions workflows, a .gitlab-ci.yml, or none.",
)
@click.pass_obj
def init_command(obj: Any, folder: Path, ci: str) -> None:
    """Start a onepin-sync project in DIR (default: the current folder)."""
    from onepin_sync.commands import init
    from onepin_sync.views.onboarding import init_report

    outcome = init.run(init.InitSettings(folder=folder, ci=ci), obj.environment(), obj.ui)
    init_report(obj.ui, outcome)
    sys.exit(outcome.exit_code)


@click.command("schema", **command_help("schema"))
def schema_command() -> None:
    """Print the JSON Schema of the workflow file format on stdout."""
    from onepin_sync.files.fileformat import workflow_json_schema_text

    click.echo(workflow_json_schema_text(), nl=False)


@click.command("completion", **command_help("completion"))
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion_command(ctx: click.Context, shell: str) -> None:
    """Print the script that makes SHELL complete onepin-sync's commands, options and values."""
    from click.shell_completion import get_completion_class

    completion = get_completion_class(shell)
    assert completion is not None  # every name in SHELLS is one of click's
    root = ctx.find_root()
    script = completion(
        root.command, {}, root.info_name or "onepin-sync", "_ONEPIN_SYNC_COMPLETE"
    ).source()
    click.echo(script)


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    for command in (init_command, schema_command, completion_command):
        group.add_command(command)
