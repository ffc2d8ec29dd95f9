"""The click commands: parse options into a command's settings, run it, show its outcome with a
view, and exit with the outcome's code. Nothing here decides anything else.

Light at import (see the package docstring): each command imports its operation and views in its
body, so `--version` and `--help` load click only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Coroutine
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from onepin_sync import __version__
from onepin_sync.cli.helptext import command_help
from onepin_sync.cli.lazy import LazyGroup
from onepin_sync.cli.onboarding import register as register_onboarding
from onepin_sync.cli.options import (
    PLAN_FORMATS,
    client_from,
    client_options,
    lock_timeout_option,
    plan_from,
    plan_options,
    target_from,
    target_options,
)

if TYPE_CHECKING:
    from onepin_sync.commands.context import RunEnvironment
    from onepin_sync.views.console import ConsoleUi

T = TypeVar("T")


class Context:
    """What the root group hands to every command; the console is made when first used."""

    def __init__(self, debug: bool, no_color: bool) -> None:
        self.debug = debug
        self.no_color = no_color

    @cached_property
    def ui(self) -> ConsoleUi:
        from onepin_sync.views.console import ConsoleUi

        return ConsoleUi(no_color=self.no_color)

    def environment(self) -> RunEnvironment:
        from onepin_sync.commands.context import RunEnvironment

        return RunEnvironment(
            cwd=Path.cwd(),
            home=Path.home(),
            environ=dict(os.environ),
            log=self.ui.debug if self.debug else None,
        )


pass_context = click.make_pass_decorator(Context)


def _run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to its end (asyncio loads here, not at start-up)."""
    import asyncio

    return asyncio.run(coroutine)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    **command_help("onepin-sync"),
)
@click.version_option(__version__, prog_name="onepin-sync")
@click.option(
    "--debug", is_flag=True, help="Tracebacks and one line per HTTP request (never secrets)."
)
@click.option("--no-color", is_flag=True, help="Plain output (also when NO_COLOR is set).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, no_color: bool) -> None:
    """Keep Onepin workflows in git: plan and apply YAML workflow files like Terraform."""
    ctx.obj = Context(debug=debug, no_color=no_color)


@cli.command("validate", **command_help("validate"))
@target_options
@click.option(
    "--online",
    is_flag=True,
    help="Also run the API's full validation (POST /workflows/validate) per workflow.",
)
@click.option(
    "--strict-env",
    is_flag=True,
    help="Fail when a ${env.X} or ${secret.X} the files use is not set (as plan does).",
)
@pass_context
def validate_command(ctx: Context, /, online: bool, strict_env: bool, **kw: Any) -> None:
    """Check the workflow files (offline unless --online)."""
    from onepin_sync.commands import validate
    from onepin_sync.views import reports

    settings = validate.ValidateSettings(
        target=target_from(kw), online=online, strict_env=strict_env
    )
    outcome = _run_async(validate.run(settings, ctx.environment(), ctx.ui))
    reports.validate_report(ctx.ui, outcome)
    sys.exit(outcome.exit_code)


@cli.command("plan", **command_help("plan"))
@target_options
@plan_options
@client_options
@click.option("--out", type=click.Path(path_type=Path), help="Save the plan for `apply FILE`.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(PLAN_FORMATS),
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
    from onepin_sync.commands import plan
    from onepin_sync.views.registry import PLAN_VIEWS

    settings = plan.PlanSettings(
        target=target_from(kw),
        plan=plan_from(kw),
        client=client_from(kw),
        out=out,
        detailed_exitcode=detailed_exitcode,
    )
    outcome = _run_async(plan.run(settings, ctx.environment(), ctx.ui))
    PLAN_VIEWS["json" if as_json else output_format](ctx.ui, outcome)
    sys.exit(outcome.exit_code)


@cli.command("apply", **command_help("apply"))
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
@click.option(
    "--allow-duplicates",
    is_flag=True,
    help="Create workflows even beside an unmanaged workflow of the same name.",
)
@click.option(
    "--allow-replace",
    is_flag=True,
    help="Delete and re-create a workflow whose file was renamed without a moved: entry.",
)
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
    allow_duplicates: bool,
    allow_replace: bool,
    **kw: Any,
) -> None:
    """Make the workspace match the workflow files (or apply a saved plan)."""
    from onepin_sync.commands import apply
    from onepin_sync.core.guards import ApplyOptions
    from onepin_sync.views import reports

    client = client_from(kw)
    settings = apply.ApplySettings(
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
            allow_duplicates=allow_duplicates,
            allow_replace=allow_replace,
        ),
        client=client,
    )
    outcome = _run_async(apply.run(settings, ctx.environment(), ctx.ui))
    reports.apply_report(ctx.ui, outcome)
    sys.exit(outcome.exit_code)


@cli.command("import", **command_help("import"))
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
    from onepin_sync.commands import importing
    from onepin_sync.views import reports

    settings = importing.ImportSettings(
        target=target_from(kw), workflow_id=workflow_id, key=key, lock_timeout=lock_timeout
    )
    outcome = _run_async(importing.run(settings, ctx.environment(), ctx.ui))
    reports.import_report(ctx.ui, outcome)
    sys.exit(outcome.exit_code)


@cli.command("pull", **command_help("pull"))
@click.argument("keys", nargs=-1)
@target_options
@lock_timeout_option
@click.option(
    "--force", is_flag=True, help="Also overwrite files changed in git since the last apply."
)
@click.option("--dry-run", is_flag=True, help="Show the diff of each file; write nothing.")
@pass_context
def pull_command(
    ctx: Context,
    /,
    keys: tuple[str, ...],
    lock_timeout: float,
    force: bool,
    dry_run: bool,
    **kw: Any,
) -> None:
    """Write changes made outside onepin-sync into the workflow files (all, or KEYS), changing
    only the lines of the fields that changed (comments and layout are kept)."""
    from onepin_sync.commands import pull
    from onepin_sync.views import reports

    settings = pull.PullSettings(
        target=target_from(kw), keys=keys, force=force, dry_run=dry_run, lock_timeout=lock_timeout
    )
    outcome = _run_async(pull.run(settings, ctx.environment(), ctx.ui))
    reports.pull_report(ctx.ui, outcome)
    sys.exit(outcome.exit_code)


@cli.command("force-unlock", **command_help("force-unlock"))
@click.argument("lock_id")
@click.option("--lockfile", type=click.Path(path_type=Path), help="Lockfile path.")
@click.option("--config", type=click.Path(path_type=Path), help="Project file.")
@click.option("--env", "env_name", metavar="NAME", help="Named environment.")
@pass_context
def force_unlock_command(
    ctx: Context, lock_id: str, lockfile: Path | None, config: Path | None, env_name: str | None
) -> None:
    """Release a stuck state lock held by LOCK_ID (shown when a run waits for it)."""
    from onepin_sync.commands import force_unlock
    from onepin_sync.files.project import TargetOptions
    from onepin_sync.views import reports

    target = TargetOptions(config=config, env_name=env_name, lockfile=lockfile)
    settings = force_unlock.ForceUnlockSettings(target=target, lock_id=lock_id)
    outcome = force_unlock.run(settings, ctx.environment(), ctx.ui)
    reports.force_unlock_report(ctx.ui, outcome)
    sys.exit(outcome.exit_code)


cli.add_lazy_command(
    "emulator",
    "onepin_sync.emulator.cli:emulator_group",
    "A local Onepin API server for trying onepin-sync.",
)
cli.add_lazy_command(
    "state",
    "onepin_sync.cli.state:state_group",
    "List, show, move, forget, rebuild or migrate the sync state.",
)
register_onboarding(cli)
