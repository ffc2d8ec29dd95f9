"""The command line: click lives here and only here.

`commands.py` holds the click commands; `options.py` the option groups several of them share.
`run` is the one place where an error or an outcome's code becomes the process exit status,
printing one clean line; a traceback is shown only with --debug. Exit codes are `ExitCode`. What
it prints (click's usage errors and tracebacks too) passes through `mask_tokens`, so an API key
pasted into the wrong option is never printed back.
"""

from __future__ import annotations

import io
import os
import sys
import traceback
from collections.abc import Sequence

import click

from onepin_sync import failpoints
from onepin_sync.cli.commands import cli
from onepin_sync.core.redact import mask_tokens
from onepin_sync.errors import ExitCode, OnepinSyncError
from onepin_sync.views.console import print_error

__all__ = ["cli", "main", "run"]


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code: the one place errors become exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="onepin-sync", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl+C into Abort
            click.echo("Interrupted.", err=True)
            return ExitCode.INTERRUPTED
        click.echo("Aborted.", err=True)
        return ExitCode.ERROR
    except click.ClickException as exc:
        shown = io.StringIO()
        exc.show(file=shown)
        click.echo(mask_tokens(shown.getvalue()), err=True, nl=False)
        return ExitCode.INVALID_INPUT
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return ExitCode.INTERRUPTED
    except OnepinSyncError as exc:
        if debug:
            _print_traceback()
        print_error(exc, no_color="--no-color" in args)
        return exc.exit_code
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            _print_traceback()
        click.echo(f"Error: internal error ({type(exc).__name__}); rerun with --debug", err=True)
        return ExitCode.ERROR
    return result if isinstance(result, int) else ExitCode.OK


def _print_traceback() -> None:
    click.echo(mask_tokens(traceback.format_exc()), err=True, nl=False)


def main() -> None:
    """Console entry point (also `python -m onepin_sync`); arms a crash-test failpoint if asked."""
    try:
        failpoints.arm_from_environment(os.environ)
    except OnepinSyncError as exc:
        print_error(exc)
        sys.exit(exc.exit_code)
    sys.exit(run())
