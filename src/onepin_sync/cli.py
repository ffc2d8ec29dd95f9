"""Command line: thin click commands that parse options, call one function and pick an exit code.

Every `OnepinSyncError` becomes one clean line on stderr and its exit code; a traceback is shown
only with `--debug`. Nothing here holds business logic.
"""

from __future__ import annotations

import sys

import click

from onepin_sync import __version__
from onepin_sync.emulator.cli import emulator_group
from onepin_sync.errors import OnepinSyncError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="onepin-sync")
@click.option("--debug", is_flag=True, help="Show tracebacks and HTTP request lines (never secrets).")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Keep Onepin workflows in git: plan and apply YAML workflow files like Terraform."""
    ctx.obj = {"debug": debug}


cli.add_command(emulator_group)


def main() -> None:
    """Console entry point."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(3)
    except OnepinSyncError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
