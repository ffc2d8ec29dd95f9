"""The applier: executes exactly the changes of a Plan, journals every write, builds the new state.

It never rediscovers what to do. Before writing, `stale_changes` compares the plan with one fresh
listing; during the run, creates and updates go first (bounded concurrency), deletes last. A
failed write stops the line by default: writes in flight finish, nothing new starts, and every
change ends as done, failed, skipped or conflict. Each write is journalled (intent fsynced before
the request, outcome after) so an interrupted run can be settled by the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from onepin_sync.api.remote import WorkflowApi
from onepin_sync.core.models import (
    Action,
    Change,
    FrozenModel,
    Plan,
    RemoteWorkflow,
    StateEntry,
    StateFile,
    StateRefresh,
)
from onepin_sync.core.planner import remote_entry
from onepin_sync.core.redact import Redactor
from onepin_sync.errors import AmbiguousCreateError, ApiError, InputError
from onepin_sync.failpoints import failpoint
from onepin_sync.state.journal import Journal, JournalBegin, JournalIntent, JournalOutcome

DEFAULT_MAX_DELETES = 10


class ApplyOptions(FrozenModel):
    force: bool = False  # apply changes marked as conflicts (git and remote both changed)
    continue_on_error: bool = False
    parallelism: int = 8
    max_deletes: int | None = None  # None: the default limit (see `delete_limit`)
    allow_mass_delete: bool = False


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CONFLICT = "conflict"


class ChangeResult(FrozenModel):
    key: str
    action: Action
    outcome: Outcome
    detail: str | None = None
    remote_id: str | None = None


class ApplyResult(FrozenModel):
    results: tuple[ChangeResult, ...]
    state: StateFile
    unresolved: tuple[str, ...] = ()  # keys whose write has no outcome: the next run settles them

    @property
    def complete(self) -> bool:
        return all(r.outcome is Outcome.DONE for r in self.results)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)


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


def refused_results(plan: Plan, refused: Mapping[str, str]) -> tuple[ChangeResult, ...]:
    """The report of an apply refused before writing: conflicts named, everything else skipped."""
    return tuple(
        _result(c, Outcome.CONFLICT, refused[c.key])
        if c.key in refused
        else _result(c, Outcome.SKIPPED, "not applied: the plan has conflicts")
        for c in plan.changes
    )


async def execute_plan(
    plan: Plan,
    api: WorkflowApi,
    state: StateFile,
    journal: Journal,
    options: ApplyOptions,
    *,
    now: Callable[[], datetime],
    secrets: Redactor,
    on_result: Callable[[ChangeResult], None] = lambda _: None,
    interrupted: Callable[[], bool] = lambda: False,
) -> ApplyResult:
    """Run every change of `plan`; return each outcome and the state to write.

    `interrupted` is polled before each write starts: once it says so, writes in flight finish
    and the rest are skipped, exactly as after a failure. `secrets` masks the names the journal
    and the lockfile record.
    """
    journal.append(JournalBegin(lineage=state.lineage, serial=state.serial))
    claimed = {e.id for e in state.workflows.values()}  # managed, created or adopted: not free
    gate = asyncio.Semaphore(max(1, options.parallelism))
    results: dict[str, ChangeResult] = {}
    entries: dict[str, StateEntry | None] = {}
    unresolved: list[str] = []
    stopped = False

    async def run(op: int, change: Change) -> None:
        nonlocal stopped
        async with gate:
            if interrupted():
                results[change.key] = _result(change, Outcome.SKIPPED, "interrupted")
            elif stopped:
                results[change.key] = _result(change, Outcome.SKIPPED, "an earlier write failed")
            else:
                written = await _execute(
                    op, change, api, state.salt, secrets, claimed, journal, now
                )
                result = written.result
                results[change.key] = result
                if written.recorded:
                    entries[change.key] = written.entry
                if written.unknown:
                    unresolved.append(change.key)
                if result.outcome is not Outcome.DONE and not options.continue_on_error:
                    stopped = True
            on_result(results[change.key])

    numbered = list(enumerate(plan.changes, start=1))
    for phase in (
        [(op, c) for op, c in numbered if c.action is not Action.DELETE],
        [(op, c) for op, c in numbered if c.action is Action.DELETE],
    ):
        await asyncio.gather(*(run(op, change) for op, change in phase))

    refreshed = [*plan.refreshes, *(StateRefresh(key=k, entry=e) for k, e in entries.items())]
    return ApplyResult(
        results=tuple(results[c.key] for c in plan.changes),
        state=with_refreshes(state, refreshed),
        unresolved=tuple(sorted(unresolved)),
    )


def with_refreshes(state: StateFile, refreshes: list[StateRefresh]) -> StateFile:
    """`state` with the given entries recorded or forgotten; serial +1 when anything moved."""
    workflows = dict(state.workflows)
    for refresh in refreshes:
        if refresh.entry is None:
            workflows.pop(refresh.key, None)
        else:
            workflows[refresh.key] = refresh.entry
    if workflows == dict(state.workflows):
        return state
    ordered = dict(sorted(workflows.items()))
    return state.model_copy(update={"workflows": ordered, "serial": state.serial + 1})


class _Written(NamedTuple):
    result: ChangeResult
    entry: StateEntry | None = None  # the lockfile entry (None for a delete: forget the key)
    recorded: bool = False  # whether `entry` goes into the lockfile
    unknown: bool = False  # no outcome was journalled: the write's fate is unknown


async def _execute(
    op: int,
    change: Change,
    api: WorkflowApi,
    salt: str,
    secrets: Redactor,
    claimed: set[str],
    journal: Journal,
    now: Callable[[], datetime],
) -> _Written:
    """One write: journal the intent, send it, journal the outcome."""
    started_at = now()
    failpoint("write.before_intent")
    journal.append(
        JournalIntent(
            op=op,
            key=change.key,
            action=change.action,
            remote_id=change.remote_id,
            name=secrets.text(change.after.name) if change.after else None,
            applied_hash=change.applied_hash,
            prevent_destroy=change.prevent_destroy,
            started_at=started_at,
        )
    )
    failpoint("write.before_request")
    detail = None
    try:
        if change.action is Action.DELETE:
            assert change.remote_id is not None
            gone_before = not await api.delete_workflow(change.remote_id)
            failpoint("write.after_response")
            detail = "already gone" if gone_before else None
            journal.append(JournalOutcome(op=op, ok=True, entry=None))
            return _Written(_result(change, Outcome.DONE, detail), None, recorded=True)
        assert change.after is not None
        assert change.applied_hash is not None
        if change.action is Action.CREATE:
            remote, detail = await _create(change, api, claimed)
        else:
            assert change.remote_id is not None
            body = {f: change.after.to_api()[f] for f in change.patch_fields}
            remote = await api.patch_workflow(change.remote_id, body)
    except AmbiguousCreateError as exc:
        # Its fate is unknown: no outcome is journalled, so the next run looks for it again.
        detail = f"{exc}; no workflow it could have created was found (the next run looks again)"
        return _Written(_result(change, Outcome.FAILED, detail), unknown=True)
    except ApiError as exc:
        # The journal keeps the kind of failure only: API messages may echo request content.
        error = f"{type(exc).__name__} {exc.status or ''}".strip()
        journal.append(JournalOutcome(op=op, ok=False, error=error))
        return _Written(_result(change, Outcome.FAILED, str(exc)))
    failpoint("write.after_response")
    entry = remote_entry(remote, change.applied_hash, salt, change.prevent_destroy, secrets=secrets)
    journal.append(JournalOutcome(op=op, ok=True, entry=entry))
    return _Written(_result(change, Outcome.DONE, detail, remote.id), entry, recorded=True)


async def _create(
    change: Change, api: WorkflowApi, claimed: set[str]
) -> tuple[RemoteWorkflow, str | None]:
    """POST once; after an ambiguous failure adopt the workflow it created, never re-send.

    `claimed` holds the ids managed, created or adopted so far in this run, so two files with
    the same name and definition never adopt one workflow (the lookup reads it after its last
    await, and an id found is claimed before the next coroutine runs). A sibling whose response
    is still on its way when the lookup lists can still be taken for ours: that needs identical
    files and an unanswered create at the same moment.
    """
    assert change.after is not None
    try:
        created = await api.create_workflow(change.after)
    except AmbiguousCreateError as exc:
        try:
            found = await api.find_created(change.after, since=exc.started_at, exclude_ids=claimed)
        except ApiError:
            found = None
        if found is None:
            raise
        claimed.add(found.id)
        return found, f"adopted {found.id} after an unanswered create ({exc})"
    claimed.add(created.id)
    return created, None


def _result(
    change: Change, outcome: Outcome, detail: str | None, remote_id: str | None = None
) -> ChangeResult:
    return ChangeResult(
        key=change.key,
        action=change.action,
        outcome=outcome,
        detail=detail,
        remote_id=remote_id or change.remote_id,
    )


def _iso(value: datetime | None) -> str:
    return "unknown" if value is None else value.isoformat()
