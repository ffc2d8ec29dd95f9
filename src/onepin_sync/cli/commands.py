"""The click commands: parse options into a command's settings, run it, show its outcome with a
view, and exit with the outcome's code. Nothing here decides anything else.

Light at import (see the package docstring): each command imports its operation and views in its
body, so `--version` and `--help` load click only.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Coroutine
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from onepin_sync import __version__
from onepin_sync.cli.global_options import RootGroup, check_verbosity, global_options
from onepin_sync.cli.helptext import command_help
from onepin_sync.cli.onboarding import register as register_onboarding
from onepin_sync.cli.options import (
    PLAN_FORMATS,
    PLANNING_FLAGS,
    client_from,
    client_options,
    json_option,
    key_selection_from,
    key_selection_options,
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
    """What the root group hands to every command; the console is made when first used, so
    global options given after the command name (see `global_options.py`) still count, and a
    command printing a document for machines (`machine`) first says so."""

    def __init__(self, debug: bool, no_color: bool, quiet: bool, verbose: bool) -> None:
        self.debug = debug
        self.no_color = no_color
        self.quiet = quiet
        self.verbose = verbose
        self.machine = False  # stdout holds one JSON document; everything else goes to stderr

    @cached_property
    def ui(self) -> ConsoleUi:
        from onepin_sync.views.console import ConsoleUi, Verbosity

        verbosity = (
            Verbosity.QUIET
            if self.quiet
            else Verbosity.VERBOSE
            if self.verbose
            else Verbosity.NORMAL
        )
        delay = os.environ.get("ONEPIN_SYNC_PROGRESS_DELAY")
        return ConsoleUi(
            no_color=self.no_color,
            verbosity=verbosity,
            machine=self.machine,
            progress_delay=_seconds(delay) if delay else None,
        )

    def environment(self) -> RunEnvironment:
        from onepin_sync.commands.context import RunEnvironment

        return RunEnvironment(
            cwd=Path.cwd(),
            home=Path.home(),
            environ=dict(os.environ),
            log=self.ui.debug if self.debug else None,
            inputs_read=gc.freeze,  # `run` unfreezes them when the command ends
        )


def _seconds(text: str) -> float | None:
    """ONEPIN_SYNC_PROGRESS_DELAY as seconds (the default when it is not a number)."""
    try:
        return max(0.0, float(text))
    except ValueError:
        return None


pass_context = click.make_pass_decorator(Context)


def _run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to its end (asyncio loads here, not at start-up)."""
    import asyncio

    return asyncio.run(coroutine)


@click.group(
    cls=RootGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    **command_help("onepin-sync"),
)
@click.version_option(__version__, prog_name="onepin-sync")
@global_options
@click.pass_context
def cli(ctx: click.Context, debug: bool, no_color: bool, quiet: bool, verbose: bool) -> None:
    """The root group (its help text is in `helptext.py`)."""
    check_verbosity(quiet, verbose)
    ctx.obj = Context(debug=debug, no_color=no_color, quiet=quiet, verbose=verbose)


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
@json_option
@pass_context
def validate_command(
    ctx: Context, /, online: bool, strict_env: bool, as_json: bool, **kw: Any
) -> None:
    """Check the workflow files (offline unless --online)."""
    from onepin_sync.commands import validate
    from onepin_sync.views import reports

    ctx.machine = as_json
    settings = validate.ValidateSettings(
        target=target_from(kw), online=online, strict_env=strict_env
    )
    outcome = _run_async(validate.run(settings, ctx.environment(), ctx.ui))
    reports.validate_report(ctx.ui, outcome)
    if as_json:
        from onepin_sync.views.documents import print_document, validate_document

        print_document(ctx.ui, validate_document(outcome))
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

    if as_json and output_format not in ("human", "json"):
        raise click.UsageError(f"--json and --format {output_format} exclude each other")
    ctx.machine = as_json or output_format == "json"
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
@json_option
@pass_context
def apply_command(
    ctx: Context,
    /,
    as_json: bool,
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
    """Make the workspace match the workflow files (or apply a saved plan, an import plan too)."""
    from onepin_sync.commands import apply, importing
    from onepin_sync.core.guards import ApplyOptions
    from onepin_sync.views import reports

    ctx.machine = as_json
    if plan_file is not None:
        _refuse_planning_options(kw)
    if plan_file is not None and importing.is_import_plan(plan_file):
        imported = importing.apply_saved(
            plan_file, target_from(kw), lock_timeout, ctx.environment(), ctx.ui
        )
        outcome_of_import = _run_async(imported)
        reports.import_report(ctx.ui, outcome_of_import)
        if as_json:
            from onepin_sync.views.documents import import_document, print_document

            print_document(ctx.ui, import_document(outcome_of_import))
        sys.exit(outcome_of_import.exit_code)
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
    if as_json:
        from onepin_sync.views.documents import apply_document, print_document

        print_document(ctx.ui, apply_document(outcome, ctx.ui.redactor))
    sys.exit(outcome.exit_code)


def _refuse_planning_options(kw: dict[str, Any]) -> None:
    """A saved plan already says what to change: the options that choose it cannot apply."""
    given = [
        flag
        for flag, name in PLANNING_FLAGS.items()
        if kw[name]  # flags are False and repeatable options () when not given
    ]
    if given:
        raise click.UsageError(
            f"{', '.join(given)} cannot be used with a saved plan file: the plan already says "
            "what to change (pass them to plan instead)"
        )


@cli.command("pull", **command_help("pull"))
@click.argument("keys", nargs=-1)
@target_options
@key_selection_options
@lock_timeout_option
@click.option(
    "--force", is_flag=True, help="Also overwrite files changed in git since the last apply."
)
@click.option("--dry-run", is_flag=True, help="Show the diff of each file; write nothing.")
@json_option
@pass_context
def pull_command(
    ctx: Context,
    /,
    keys: tuple[str, ...],
    lock_timeout: float,
    force: bool,
    dry_run: bool,
    as_json: bool,
    **kw: Any,
) -> None:
    """Write changes made outside onepin-sync into the workflow files (all, or KEYS), changing
    only the lines of the fields that changed (comments and layout are kept)."""
    from onepin_sync.commands import pull
    from onepin_sync.views import reports

    ctx.machine = as_json
    settings = pull.PullSettings(
        target=target_from(kw),
        keys=keys,
        selection=key_selection_from(kw),
        force=force,
        dry_run=dry_run,
        lock_timeout=lock_timeout,
    )
    outcome = _run_async(pull.run(settings, ctx.environment(), ctx.ui))
    reports.pull_report(ctx.ui, outcome)
    if as_json:
        from onepin_sync.views.documents import print_document, pull_document

        print_document(ctx.ui, pull_document(outcome))
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

for _name in ("import", "list", "fmt"):  # cli/adopt.py
    cli.add_lazy_command(
        _name, f"onepin_sync.cli.adopt:{_name}_command", str(command_help(_name)["short_help"])
    )
