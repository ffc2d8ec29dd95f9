"""The option groups shared by several commands, and their conversion to settings objects.

Each `*_options` decorator adds a group of click options; the matching `*_from` pops those
options from a command's keyword arguments into the frozen settings object the operations take.
Light at import (click and the standard library): the settings types load when a `*_from` runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from onepin_sync.commands.context import ClientOptions
    from onepin_sync.core.planner import PlanOptions
    from onepin_sync.core.selection import KeySelection
    from onepin_sync.files.project import TargetOptions

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DEADLINE = 900.0
"""Seconds a run may take by default: far more than a large apply needs, far less than CI's."""

PLAN_FORMATS = ("human", "json", "markdown")
"""The names `plan --format` offers: the keys of `views.registry.PLAN_VIEWS` (a test keeps them
equal), named here so parsing the options never imports the views."""


class Finite(click.FloatRange):
    """A finite number from `min` on: `nan` and `inf` are no timeout, wait or rate. A bad
    value from the option's environment variable is named as coming from there."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            finite = math.isfinite(float(value))
        except (TypeError, ValueError):
            finite = False
        if not finite:
            self.fail(f"{value!r} is not a finite number{_from_env(param, ctx)}.", param, ctx)
        return super().convert(value, param, ctx)


def _from_env(param: click.Parameter | None, ctx: click.Context | None) -> str:
    """` (from $NAME)` when the value came from the option's environment variable."""
    if param is None or ctx is None or param.name is None:
        return ""
    envvar = getattr(param, "envvar", None)
    if ctx.get_parameter_source(param.name) is not click.core.ParameterSource.ENVIRONMENT:
        return ""
    return f" (from ${envvar})" if isinstance(envvar, str) else ""


def _options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator applying several click options, in the order listed."""

    def decorate(command: F) -> F:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return decorate


json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one versioned JSON document on stdout and nothing else (the rest goes to stderr).",
)

lock_timeout_option = click.option(
    "--lock-timeout",
    type=Finite(min=0),
    default=0,
    metavar="SECONDS",
    help="Wait this long for another run's state lock.",
)

target_options = _options(
    # Options choosing the files and the API target, shared by every command that syncs.
    click.option(
        "--dir",
        "workflows",
        type=click.Path(path_type=Path),
        help="Workflows folder (default: from onepin-sync.yaml, else ./workflows).",
    ),
    click.option(
        "--lockfile",
        type=click.Path(path_type=Path),
        help="Lockfile path (default: from onepin-sync.yaml, else ./onepin-sync.lock).",
    ),
    click.option(
        "--config",
        type=click.Path(path_type=Path),
        help="Project file (default: ./onepin-sync.yaml when present).",
    ),
    click.option(
        "--env", "env_name", metavar="NAME", help="Named environment from the project file."
    ),
    click.option(
        "--api-key",
        metavar="KEY",
        help="Onepin API key (default: $ONEPIN_API_KEY, then ~/.onepin/credentials).",
    ),
    click.option(
        "--base-url",
        metavar="URL",
        help="API base URL (default: $ONEPIN_BASE_URL, else https://api.onepin.ai).",
    ),
    click.option("--workspace", metavar="ID", help="Workspace id (default: $ONEPIN_WORKSPACE_ID)."),
    click.option(
        "--emulator",
        is_flag=True,
        help="Run against the embedded local emulator (no account needed).",
    ),
)


client_options = _options(
    # Network behaviour of plan and apply.
    click.option(
        "--parallelism",
        type=click.IntRange(1, 64),
        default=8,
        show_default=True,
        help="Requests in flight at most.",
    ),
    click.option("--rps", type=Finite(min=0.1), help="Requests per second at most."),
    click.option(
        "--timeout",
        type=Finite(min=1),
        default=DEFAULT_DEADLINE,
        show_default=True,
        metavar="SECONDS",
        envvar="ONEPIN_SYNC_TIMEOUT",
        help="Give up on the whole run after this long (also $ONEPIN_SYNC_TIMEOUT), so a hung "
        "server never holds a CI job: what is done by then is recorded.",
    ),
)


key_selection_options = _options(
    # Which workflow keys a run touches (not the workspace target of `target_options`).
    click.option(
        "--target",
        "select_targets",
        multiple=True,
        metavar="KEY|GLOB",
        help="Only plan and touch workflows whose key matches (repeatable; * matches /).",
    ),
    click.option(
        "--exclude",
        "select_excludes",
        multiple=True,
        metavar="KEY|GLOB",
        help="Never plan or touch workflows whose key matches (repeatable).",
    ),
)


plan_options = _options(
    # Choices that change what is planned (with the keys it covers: `key_selection_options`).
    click.option(
        "--refresh-only",
        is_flag=True,
        help="Accept changes made outside onepin-sync into the lockfile; write nothing.",
    ),
    click.option(
        "--allow-empty-config",
        is_flag=True,
        help="Allow deleting every managed workflow when no workflow files exist.",
    ),
    click.option(
        "--allow-empty-remote",
        is_flag=True,
        help="Allow re-creating everything when the API lists no workflows.",
    ),
    key_selection_options,
)


# The options of `target_options` that name a remote target, by flag: what --emulator refuses.
REMOTE_FLAGS = {"--api-key": "api_key", "--base-url": "base_url", "--workspace": "workspace"}

# Each option of `plan_options`, by flag, with its parameter name: what a saved plan refuses.
PLANNING_FLAGS = {
    "--refresh-only": "refresh_only",
    "--allow-empty-config": "allow_empty_config",
    "--allow-empty-remote": "allow_empty_remote",
    "--target": "select_targets",
    "--exclude": "select_excludes",
}


def key_selection_from(kw: dict[str, Any]) -> KeySelection:
    from onepin_sync.core.selection import KeySelection

    return KeySelection(
        targets=tuple(kw.pop("select_targets")), excludes=tuple(kw.pop("select_excludes"))
    )


def target_from(kw: dict[str, Any]) -> TargetOptions:
    from onepin_sync.files.project import TargetOptions

    if kw["emulator"]:
        remote = [flag for flag, name in REMOTE_FLAGS.items() if kw[name]]
        if remote:
            raise click.UsageError(
                f"--emulator runs against the embedded emulator, so {', '.join(remote)} "
                "cannot be given with it"
            )
    return TargetOptions(
        config=kw.pop("config"),
        env_name=kw.pop("env_name"),
        workflows=kw.pop("workflows"),
        lockfile=kw.pop("lockfile"),
        api_key=kw.pop("api_key"),
        base_url=kw.pop("base_url"),
        workspace=kw.pop("workspace"),
        emulator=kw.pop("emulator"),
    )


def client_from(kw: dict[str, Any]) -> ClientOptions:
    from onepin_sync.commands.context import ClientOptions

    return ClientOptions(
        parallelism=kw.pop("parallelism"), rps=kw.pop("rps"), deadline=kw.pop("timeout")
    )


def plan_from(kw: dict[str, Any]) -> PlanOptions:
    from onepin_sync.core.planner import PlanOptions

    return PlanOptions(
        refresh_only=kw.pop("refresh_only"),
        allow_empty_config=kw.pop("allow_empty_config"),
        allow_empty_remote=kw.pop("allow_empty_remote"),
        selection=key_selection_from(kw),
    )
