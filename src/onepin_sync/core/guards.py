"""The checks an apply makes before its first write: mass deletes, conflicts, and planned
workflows that moved since the plan was made. Each returns why, by key; nothing is written. Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from onepin_sync.core.models import Action, FrozenModel, Plan, RemoteWorkflow
from onepin_sync.core.results import ChangeResult, ChangeStatus, change_result
from onepin_sync.errors import InputError

DEFAULT_MAX_DELETES = 10


class ApplyOptions(FrozenModel):
    """How an apply treats conflicts, failures and deletes."""

    force: bool = False  # apply changes marked as conflicts (git and remote both changed)
    continue_on_error: bool = False
    parallelism: int = 8
    max_deletes: int | None = None  # None: the default limit (see `delete_limit`)
    allow_mass_delete: bool = False
    allow_duplicates: bool = False  # create beside an unmanaged workflow of the same name
    allow_replace: bool = False  # delete and create the same workflow (a rename without moved:)


def delete_limit(managed: int, max_deletes: int | None) -> int:
    """At most 10 deletes, or a quarter of the managed workflows if fewer, but at least 1."""
    if max_deletes is not None:
        return max_deletes
    return max(1, min(DEFAULT_MAX_DELETES, managed // 4))


def check_delete_guard(plan: Plan, options: ApplyOptions) -> None:
    """Refuse mass deletes without --allow-mass-delete."""
    deletes = plan.count(Action.DELETE)
    limit = delete_limit(plan.managed_count, options.max_deletes)
    if deletes > limit and not options.allow_mass_delete:
        raise InputError(
            f"the plan deletes {deletes} workflows, more than the limit of {limit}; pass "
            "--allow-mass-delete (or a larger --max-deletes) if that is intended"
        )


def conflicting_changes(plan: Plan, options: ApplyOptions) -> dict[str, str]:
    """Why each change that must not be applied without --force is refused, by key."""
    if options.force:
        return {}
    return {c.key: "changed in git and outside onepin-sync" for c in plan.conflicts}


def unmanaged_by_name(
    workflows: Iterable[RemoteWorkflow], managed_ids: Collection[str]
) -> dict[str, list[str]]:
    """Ids of the workflows no lockfile key manages, by exact name: what a create of that name
    may duplicate."""
    by_name: dict[str, list[str]] = {}
    for workflow in workflows:
        if workflow.id not in managed_ids:
            by_name.setdefault(workflow.name, []).append(workflow.id)
    return by_name


def duplicate_creates(plan: Plan, options: ApplyOptions) -> dict[str, str]:
    """Why each create beside an unmanaged workflow of the same name is refused, by key.

    The last line of defence for a lockfile that was lost, stale or wrong: without it every
    workflow would be created a second time. Refused unless `--allow-duplicates`.
    """
    if options.allow_duplicates:
        return {}
    return {
        c.key: f"possible duplicate of {', '.join(c.duplicate_of)}"
        for c in plan.possible_duplicates
    }


def replacing_changes(plan: Plan, options: ApplyOptions) -> dict[str, str]:
    """Why each delete + create of the same workflow is refused, by key (both halves).

    A renamed file without a `moved:` entry: applied, the workflow would lose its Onepin id and
    run history. Refused unattended unless `--allow-replace`.
    """
    if options.allow_replace:
        return {}
    refused = {}
    for delete in plan.replacements:
        assert delete.replaces is not None
        why = f"deletes and re-creates the same workflow as {delete.replaces}"
        refused[delete.key] = why
        refused[delete.replaces] = f"re-creates {delete.key}, which the plan deletes"
    return refused


def stale_changes(plan: Plan, listed: Mapping[str, RemoteWorkflow]) -> dict[str, str]:
    """Why each planned change whose remote object moved since the plan was made is refused."""
    stale = {}
    for change in plan.changes:
        if change.remote_id is None:
            continue
        current = listed.get(change.remote_id)
        if current is None:
            if change.action is Action.UPDATE:
                stale[change.key] = "deleted remotely since the plan"
        elif current.updated_at != change.remote_updated_at:
            stale[change.key] = (
                f"changed remotely since the plan (updated_at {current.updated_at.isoformat()}, "
                f"planned {_iso(change.remote_updated_at)})"
            )
    return stale


def appeared_duplicates(
    plan: Plan,
    listed: Mapping[str, RemoteWorkflow],
    managed_ids: Collection[str],
    options: ApplyOptions,
) -> dict[str, str]:
    """Why each create beside an unmanaged workflow of the same name that was not there when
    the plan was made is refused, by key: the plan did not show it as a possible duplicate (a
    saved plan applied again from another checkout, or someone creating it meanwhile).
    Lifted by `--allow-duplicates`, like the look-alikes the plan did show."""
    if options.allow_duplicates:
        return {}
    by_name = unmanaged_by_name(listed.values(), managed_ids)
    refused = {}
    for change in plan.changes:
        if change.action is not Action.CREATE or change.after is None:
            continue
        appeared = sorted(set(by_name.get(change.after.name, ())) - set(change.duplicate_of))
        if appeared:
            refused[change.key] = (
                f"a workflow of the same name appeared since the plan ({', '.join(appeared)})"
            )
    return refused


def refused_results(
    plan: Plan, refused: Mapping[str, str], because: str
) -> tuple[ChangeResult, ...]:
    """The report of an apply refused before writing: refusals named, the rest skipped
    `because` (e.g. "the plan has conflicts")."""
    return tuple(
        change_result(c, ChangeStatus.CONFLICT, refused[c.key])
        if c.key in refused
        else change_result(c, ChangeStatus.SKIPPED, f"not applied: {because}")
        for c in plan.changes
    )


def _iso(value: datetime | None) -> str:
    return "unknown" if value is None else value.isoformat()
