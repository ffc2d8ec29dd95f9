"""Command line: thin click commands that parse options, call one operation, pick an exit code.

Exit codes (stable, documented in the README): 0 success or no changes, 1 error, 2 changes present
(with --detailed-exitcode), 3 invalid input, 4 lock held, 5 stale plan or conflict, 6 apply partly
failed. `main` is the one place that maps errors to exit codes and prints one clean line; a
traceback is shown only with --debug.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from onepin_sync import __version__, failpoints
from onepin_sync.cli.options import (
    client_from,
    client_options,
    lock_timeout_option,
    plan_from,
    plan_options,
    target_from,
    target_options,
)
from onepin_sync.commands.adoption import ImportSettings, PullSettings, import_workflow, pull
from onepin_sync.commands.context import RunEnvironment
from onepin_sync.commands.executor import ApplyOptions
from onepin_sync.commands.operations import ApplySettings, PlanSettings, apply, make_plan, validate
from onepin_sync.emulator.cli import emulator_group
from onepin_sync.errors import OnepinSyncError
from onepin_sync.files.project import TargetOptions, load_project
from onepin_sync.state.statelock import force_unlock
from onepin_sync.views.console import ConsoleUi, print_apply_outcome, print_validate_outcome
from onepin_sync.views.human import plan_markdown

EXIT_CHANGES = 2
EXIT_USAGE = 3
EXIT_INTERRUPTED = 130


class Context:
    """What the root group hands to every command."""

    def __init__(self, debug: bool, no_color: bool) -> None:
        self.debug = debug
        self.ui = ConsoleUi(no_color=no_color)

    def environment(self) -> RunEnvironment:
        return RunEnvironment(
            cwd=Path.cwd(),
            home=Path.home(),
            environ=dict(os.environ),
            log=self.ui.debug if self.debug else None,
        )


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="onepin-sync")
@click.option(
    "--debug", is_flag=True, help="Tracebacks and one line per HTTP request (never secrets)."
)
@click.option("--no-color", is_flag=True, help="Plain output (also when NO_COLOR is set).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, no_color: bool) -> None:
    """Keep Onepin workflows in git: plan and apply YAML workflow files like Terraform."""
    ctx.obj = Context(debug=debug, no_color=no_color)


@cli.command("validate")
@target_options
@click.option(
    "--online",
    is_flag=True,
    help="Also run the API's full validation (POST /workflows/validate) per workflow.",
)
@pass_context
def validate_command(ctx: Context, /, online: bool, **kw: Any) -> None:
    """Check the workflow files (offline unless --online)."""
    outcome = asyncio.run(validate(target_from(kw), online, ctx.environment(), ctx.ui))
    print_validate_outcome(ctx.ui, outcome)
    if not outcome.valid:
        sys.exit(EXIT_USAGE)


@cli.command("plan")
@target_options
@plan_options
@client_options
@click.option("--out", type=click.Path(path_type=Path), help="Save the plan for `apply FILE`.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["human", "json", "markdown"]),
    default="human",
    show_default=True,
    help="Output format.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes.")
@pass_context
def plan_command(
    ctx: Context,
    /,
    out: Path | None,
    output_format: str,
    as_json: bool,
    detailed_exitcode: bool,
    **kw: Any,
) -> None:
    """Show what apply would change."""
    settings = PlanSettings(
        target=target_from(kw), plan=plan_from(kw), client=client_from(kw), out=out
    )
    outcome = asyncio.run(make_plan(settings, ctx.environment(), ctx.ui))
    if as_json or output_format == "json":
        click.echo(json.dumps(outcome.document, indent=2, sort_keys=True))
    elif output_format == "markdown":
        click.echo(plan_markdown(outcome.plan, outcome.redactor), nl=False)
    else:
        ctx.ui.show_plan(outcome.plan, outcome.redactor)
        if out is not None:
            ctx.ui.info(
                f"\nSaved the plan to {out}. Apply exactly it with: onepin-sync apply {out}"
            )
    if detailed_exitcode and (outcome.plan.has_changes or outcome.plan.drift):
        sys.exit(EXIT_CHANGES)


@cli.command("apply")
@click.argument("plan_file", required=False, type=click.Path(path_type=Path))
@target_options
@plan_options
@client_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@lock_timeout_option
@click.option("--force", is_flag=True, help="Also apply changes that conflict with remote edits.")
@click.option("--continue-on-error", is_flag=True, help="Keep going after a failed write.")
@click.option(
    "--max-deletes",
    type=click.IntRange(min=0),
    metavar="N",
    help="Refuse plans deleting more than N workflows (default: 10 or a quarter).",
)
@click.option("--allow-mass-delete", is_flag=True, help="Lift the --max-deletes guard.")
@pass_context
def apply_command(
    ctx: Context,
    /,
    plan_file: Path | None,
    auto_approve: bool,
    lock_timeout: float,
    force: bool,
    continue_on_error: bool,
    max_deletes: int | None,
    allow_mass_delete: bool,
    **kw: Any,
) -> None:
    """Make the workspace match the workflow files (or apply a saved plan)."""
    client = client_from(kw)
    settings = ApplySettings(
        target=target_from(kw),
        plan_file=plan_file,
        auto_approve=auto_approve,
        interactive=sys.stdin.isatty(),
        lock_timeout=lock_timeout,
        plan=plan_from(kw),
        apply=ApplyOptions(
            force=force,
            continue_on_error=continue_on_error,
            parallelism=client.parallelism,
            max_deletes=max_deletes,
            allow_mass_delete=allow_mass_delete,
        ),
        client=client,
    )
    outcome = asyncio.run(apply(settings, ctx.environment(), ctx.ui))
    sys.exit(print_apply_outcome(ctx.ui, outcome))


@cli.command("import")
@click.argument("workflow_id")
@click.argument("key", required=False)
@target_options
@lock_timeout_option
@pass_context
def import_command(
    ctx: Context, /, workflow_id: str, key: str | None, lock_timeout: float, **kw: Any
) -> None:
    """Adopt an existing remote workflow as KEY (default: from its name).

    Without a workflow file for KEY, the file is written from the remote workflow; with one, the
    next plan shows the changes that would make the remote workflow match it.
    """
    settings = ImportSettings(
        target=target_from(kw), workflow_id=workflow_id, key=key, lock_timeout=lock_timeout
    )
    outcome = asyncio.run(import_workflow(settings, ctx.environment(), ctx.ui))
    if outcome.written is not None:
        ctx.ui.info(
            f"Imported {outcome.workflow_id} as {outcome.key}: wrote {outcome.written}. "
            "Commit it together with the lockfile."
        )
    else:
        ctx.ui.info(
            f"Imported {outcome.workflow_id} as {outcome.key}, adopting the existing file; "
            "run plan to see how the remote workflow differs from it."
        )


@cli.command("pull")
@click.argument("keys", nargs=-1)
@target_options
@lock_timeout_option
@click.option(
    "--force", is_flag=True, help="Also overwrite files changed in git since the last apply."
)
@pass_context
def pull_command(
    ctx: Context, /, keys: tuple[str, ...], lock_timeout: float, force: bool, **kw: Any
) -> None:
    """Write changes made outside onepin-sync into the workflow files (all, or KEYS)."""
    settings = PullSettings(
        target=target_from(kw), keys=keys, force=force, lock_timeout=lock_timeout
    )
    written = asyncio.run(pull(settings, ctx.environment(), ctx.ui))
    for path in written:
        ctx.ui.info(f"Rewrote {path} from the workspace.")
    if written:
        ctx.ui.info(f"Pulled {len(written)} workflow(s); review with `git diff` and commit.")
    else:
        ctx.ui.info("Nothing to pull: no workflow changed outside onepin-sync.")


@cli.command("force-unlock")
@click.argument("lock_id")
@click.option("--lockfile", type=click.Path(path_type=Path), help="Lockfile path.")
@click.option("--config", type=click.Path(path_type=Path), help="Project file.")
@click.option("--env", "env_name", metavar="NAME", help="Named environment.")
@pass_context
def force_unlock_command(
    ctx: Context, lock_id: str, lockfile: Path | None, config: Path | None, env_name: str | None
) -> None:
    """Release a stuck state lock held by LOCK_ID (shown when a run waits for it)."""
    options = TargetOptions(config=config, env_name=env_name, lockfile=lockfile)
    env = ctx.environment()
    paths, _ = load_project(options, env.cwd)
    force_unlock(paths.lock, lock_id)
    ctx.ui.info(f"Released the state lock {lock_id}.")


cli.add_command(emulator_group)


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
            return EXIT_INTERRUPTED
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    except OnepinSyncError as exc:
        if debug:
            traceback.print_exc()
        ConsoleUi.print_error(exc, no_color="--no-color" in args)
        return exc.exit_code
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            traceback.print_exc()
        click.echo(f"Error: internal error ({type(exc).__name__}); rerun with --debug", err=True)
        return 1
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console entry point (also `python -m onepin_sync`); arms a crash-test failpoint if asked."""
    try:
        failpoints.arm_from_environment(os.environ)
    except OnepinSyncError as exc:
        ConsoleUi.print_error(exc)
        sys.exit(exc.exit_code)
    sys.exit(run())
