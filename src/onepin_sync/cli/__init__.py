"""The command line: click lives here and only here.

`commands.py` holds the click commands; `global_options.py` the options accepted before or after
any command name; `options.py` the option groups several of them share and
the names of the plan formats. `run` is the one place where an error or an outcome's code becomes
the process exit status, printing one clean line; a traceback is shown only with --debug. Exit
codes are `ExitCode`. What it prints (click's usage errors and tracebacks too) passes through
`mask_tokens`, so an API key pasted into the wrong option is never printed back.

Start-up is lazy: `onepin-sync --version` and `--help` import click and nothing heavy. The pattern
every module of `cli/` follows:

- at top level import only click, the standard library and light modules of ours: `errors`,
  `failpoints`, the root package (`__version__`) and `cli/` itself. Never `commands/`, `views/`,
  `api/`, `state/`, `files/`, `core/`, the emulator, rich, httpx or pydantic;
- import what the command needs in the command's body, where it runs (`from onepin_sync.commands
  import plan`), and types for annotations under `if TYPE_CHECKING:`;
- option choices are plain names here (`PLAN_FORMATS`), checked against the registry they name
  by a test, not read from it;
- a new area's commands go in `cli/<area>.py` and are registered on the root group with one line
  at the end of `commands.py` (`cli.add_command(...)`); a group that lives outside `cli/` (the
  emulator's) is registered with `cli.add_lazy_command(name, "module:attribute", help)` and loads
  only when it runs or its own help is shown.

`tests/cli/test_startup.py` pins it: after `import onepin_sync.cli`, `--version` and `--help` none
of those modules is loaded.
"""

from __future__ import annotations

import gc
import io
import os
import sys
from collections.abc import Sequence

import click

from onepin_sync import failpoints
from onepin_sync.cli.commands import cli
from onepin_sync.errors import ExitCode, OnepinSyncError

__all__ = ["cli", "main", "run"]


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code: the one place errors become exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        return _run(args, debug)
    finally:
        gc.unfreeze()  # what the command froze once its inputs were read (`RunEnvironment`)


def _run(args: list[str], debug: bool) -> int:
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
        click.echo(_masked(shown.getvalue()), err=True, nl=False)
        return ExitCode.INVALID_INPUT
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return ExitCode.INTERRUPTED
    except OnepinSyncError as exc:
        if debug:
            _print_traceback()
        _print_error(exc, no_color="--no-color" in args)
        return exc.exit_code
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            _print_traceback()
        click.echo(f"Error: internal error ({type(exc).__name__}); rerun with --debug", err=True)
        return ExitCode.ERROR
    return result if isinstance(result, int) else ExitCode.OK


def _masked(text: str) -> str:
    from onepin_sync.core.redact import mask_tokens

    return mask_tokens(text)


def _print_error(exc: OnepinSyncError, no_color: bool = False) -> None:
    from onepin_sync.views.console import print_error

    print_error(exc, no_color=no_color)


def _print_traceback() -> None:
    import traceback

    click.echo(_masked(traceback.format_exc()), err=True, nl=False)


def main() -> None:
    """Console entry point (also `python -m onepin_sync`); arms a crash-test failpoint if asked."""
    try:
        failpoints.arm_from_environment(os.environ)
    except OnepinSyncError as exc:
        _print_error(exc)
        sys.exit(exc.exit_code)
    # A run allocates in bulk (10,000 files, as many lockfile entries, 35 MB of listing JSON)
    # and keeps most of it to the end: collecting the young generation every 700 allocations
    # (the default) promoted so much that the full collections took 30% of a plan's CPU. Every
    # 10,000 still frees the reference cycles an HTTP response makes (with its body) soon enough.
    gc.set_threshold(10_000, 10, 10)
    # onepin-sync uses no pydantic plugin, and looking for them reads the entry points of every
    # installed package as the first model is used: 12-16 ms of each start in its own venv,
    # more in a large environment (pydantic's documented switch; a value already set is kept).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    code = run()
    # What the run made is left for the process's end to free: without this, the interpreter's
    # last collection walks all of it first (0.1 s after an apply of 200 files).
    gc.freeze()
    sys.exit(code)
