"""The `state` command group: list, show, mv, rm, rebuild and migrate the sync state.

Only click at import time: each command imports its operation and view when it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from onepin_sync.cli.options import (
    client_from,
    client_options,
    lock_timeout_option,
    target_from,
    target_options,
)

if TYPE_CHECKING:
    from onepin_sync.cli.commands import Context
    from onepin_sync.files.project import TargetOptions

_json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document on stdout, nothing else."
)


def _local_options(command: Any) -> Any:
    """The options choosing where the state is, for the commands that never talk to the API."""
    for decorator in reversed(
        [
            click.option("--dir", "workflows", type=click.Path(path_type=Path), help="Workflows "
                         "folder (default: from onepin-sync.yaml, else ./workflows)."),
            click.option("--lockfile", type=click.Path(path_type=Path), help="Lockfile path."),
            click.option("--config", type=click.Path(path_type=Path), help="Project file."),
            click.option("--env", "env_name", metavar="NAME", help="Named environment."),
        ]
    ):  # fmt: skip
        command = decorator(command)
    return command


def _local_target(kw: dict[str, Any]) -> TargetOptions:
    from onepin_sync.files.project import TargetOptions

    return TargetOptions(
        config=kw.pop("config"),
        env_name=kw.pop("env_name"),
        workflows=kw.pop("workflows"),
        lockfile=kw.pop("lockfile"),
    )


@click.group("state", short_help="List, show, move, forget, rebuild or migrate the sync state.")
def state_group() -> None:
    """Read and edit the sync state: the lockfile, or the state object of `state: {url: ...}`.

    Every change takes the state lock, is written atomically and bumps the serial; `mv` and `rm`
    never talk to Onepin.

    \b
    Examples:
      onepin-sync state list --json
      onepin-sync state mv support/old-name support/new-name
      onepin-sync state migrate --to s3://team-bucket/onepin/onepin-sync.lock
    """


@state_group.command("list", short_help="List the managed workflows.")
@_local_options
@_json_option
@click.pass_obj
def list_command(ctx: Context, /, as_json: bool, **kw: Any) -> None:
    """List the managed workflows: key, Onepin id and name, and creates still pending.

    With --json, one document of kind onepin-sync-state-list on stdout and nothing else.

    \b
    Examples:
      onepin-sync state list
      onepin-sync state list --env production --json
    """
    from onepin_sync.commands import state
    from onepin_sync.views.state import state_list

    ctx.machine = as_json
    settings = state.StateReadSettings(target=_local_target(kw))
    outcome = state.run_read(settings, ctx.environment(), ctx.ui)
    state_list(ctx.ui, outcome, as_json=as_json)
    sys.exit(outcome.exit_code)


@state_group.command("show", short_help="Show what the state records about KEY.")
@click.argument("key")
@_local_options
@_json_option
@click.pass_obj
def show_command(ctx: Context, /, key: str, as_json: bool, **kw: Any) -> None:
    """Show everything the state records about KEY: id, name, hashes and lifecycle flags.

    With --json, one document of kind onepin-sync-state-entry on stdout and nothing else.

    \b
    Examples:
      onepin-sync state show support/welcome-call
      onepin-sync state show support/welcome-call --json
    """
    from onepin_sync.commands import state
    from onepin_sync.views.state import state_show

    ctx.machine = as_json
    settings = state.StateReadSettings(target=_local_target(kw), key=key)
    outcome = state.run_read(settings, ctx.environment(), ctx.ui)
    state_show(ctx.ui, outcome, as_json=as_json)
    sys.exit(outcome.exit_code)


@state_group.command("mv", short_help="Move a key after renaming its file.")
@click.argument("old")
@click.argument("new")
@_local_options
@lock_timeout_option
@_json_option
@click.pass_obj
def mv_command(
    ctx: Context, /, old: str, new: str, lock_timeout: float, as_json: bool, **kw: Any
) -> None:
    """Record the workflow managed as OLD under the key NEW, after you renamed its file.

    The Onepin workflow, its id and its run history stay; nothing is sent to Onepin, and the
    next plan is empty when nothing else changed.

    \b
    Examples:
      git mv workflows/a.yaml workflows/b.yaml
      onepin-sync state mv a b
    """
    _edit(ctx, old, new, lock_timeout, as_json, kw)


@state_group.command("rm", short_help="Stop managing KEY; keep it in Onepin.")
@click.argument("key")
@_local_options
@lock_timeout_option
@_json_option
@click.pass_obj
def rm_command(ctx: Context, /, key: str, lock_timeout: float, as_json: bool, **kw: Any) -> None:
    """Stop managing KEY: forget it in the state and leave the workflow in Onepin.

    The workflow becomes unmanaged: counted by plan, never touched, adoptable again with import.
    Delete or move its file too, or the next plan creates a second workflow from it.

    \b
    Examples:
      onepin-sync state rm support/old-flow
    """
    _edit(ctx, key, None, lock_timeout, as_json, kw)


def _edit(
    ctx: Context,
    key: str,
    new: str | None,
    lock_timeout: float,
    as_json: bool,
    kw: dict[str, Any],
) -> None:
    from onepin_sync.commands import state
    from onepin_sync.views.state import state_edit_report

    ctx.machine = as_json

    settings = state.StateEditSettings(
        target=_local_target(kw), key=key, new_key=new, lock_timeout=lock_timeout
    )
    outcome = state.run_edit(settings, ctx.environment(), ctx.ui)
    state_edit_report(ctx.ui, outcome, as_json=as_json)
    sys.exit(outcome.exit_code)


@state_group.command("rebuild", short_help="Rebuild a lost lockfile from the workspace.")
@target_options
@client_options
@lock_timeout_option
@_json_option
@click.pass_obj
def rebuild_command(ctx: Context, /, lock_timeout: float, as_json: bool, **kw: Any) -> None:
    """Reconstruct a lost lockfile by matching each workflow file to a workflow of the workspace.

    A file matches a workflow with exactly its name and structure (node ids and types, edges).
    Ambiguous matches are refused and listed, and nothing is written; entries the state already
    has are kept.

    \b
    Examples:
      onepin-sync state rebuild
      onepin-sync state rebuild --env staging
    """
    import asyncio

    from onepin_sync.commands import state_rebuild
    from onepin_sync.views.state import rebuild_report

    ctx.machine = as_json

    settings = state_rebuild.RebuildSettings(
        target=target_from(kw), lock_timeout=lock_timeout, client=client_from(kw)
    )
    outcome = asyncio.run(state_rebuild.run(settings, ctx.environment(), ctx.ui))
    rebuild_report(ctx.ui, outcome, as_json=as_json)
    sys.exit(outcome.exit_code)


@state_group.command("migrate", short_help="Move the state into a bucket or back.")
@click.option(
    "--to",
    "to",
    required=True,
    metavar="URL|file|PATH",
    help="Where to move the state: an object URL (s3://bucket/key), `file` for the project's "
    "lockfile, or a lockfile path.",
)
@_local_options
@lock_timeout_option
@_json_option
@click.pass_obj
def migrate_command(
    ctx: Context, /, to: str, lock_timeout: float, as_json: bool, **kw: Any
) -> None:
    """Move the state into object storage or back, keeping its lineage and serial.

    Then point onepin-sync.yaml at the new place (set `state: {url: ...}`, or remove it).

    \b
    Examples:
      onepin-sync state migrate --to s3://team-bucket/onepin/onepin-sync.lock
      onepin-sync state migrate --to file
    """
    from onepin_sync.commands import state_migrate
    from onepin_sync.views.state import migrate_report

    ctx.machine = as_json

    settings = state_migrate.MigrateSettings(
        target=_local_target(kw), to=to, lock_timeout=lock_timeout
    )
    outcome = state_migrate.run(settings, ctx.environment(), ctx.ui)
    migrate_report(ctx.ui, outcome, as_json=as_json)
    sys.exit(outcome.exit_code)
