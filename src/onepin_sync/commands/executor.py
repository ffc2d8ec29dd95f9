"""The executor: runs exactly the changes of a Plan, journals every write, builds the new state.

It never rediscovers what to do. Creates and updates go first (bounded concurrency), deletes
last. A failed write stops the line by default: writes in flight finish, nothing new starts, and
every change ends as done, failed, skipped or conflict. Each write is journalled (intent fsynced
before the request, outcome after) so an interrupted run can be settled by the next one. The
clock, interruption, progress and secrets are injected; the new state is returned as a value.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from onepin_sync.api.remote import WorkflowApi
from onepin_sync.core.guards import ApplyOptions
from onepin_sync.core.matching import created_by
from onepin_sync.core.models import (
    Action,
    Change,
    Plan,
    RemoteWorkflow,
    StateEntry,
    StateFile,
    StateRefresh,
)
from onepin_sync.core.redact import Redactor
from onepin_sync.core.results import ApplyResult, ChangeResult, ChangeStatus, change_result
from onepin_sync.core.transitions import entry_for, with_refreshes
from onepin_sync.errors import AmbiguousCreateError, ApiError
from onepin_sync.failpoints import failpoint
from onepin_sync.state.journal import Journal, JournalBegin, JournalIntent, JournalOutcome


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
                results[change.key] = change_result(change, ChangeStatus.SKIPPED, "interrupted")
            elif stopped:
                results[change.key] = change_result(
                    change, ChangeStatus.SKIPPED, "an earlier write failed"
                )
            else:
                written = await _write(op, change, api, state.salt, secrets, claimed, journal, now)
                result = written.result
                results[change.key] = result
                if written.recorded:
                    entries[change.key] = written.entry
                if written.unknown:
                    unresolved.append(change.key)
                if result.status is not ChangeStatus.DONE and not options.continue_on_error:
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


class _Written(NamedTuple):
    result: ChangeResult
    entry: StateEntry | None = None  # the lockfile entry (None for a delete: forget the key)
    recorded: bool = False  # whether `entry` goes into the lockfile
    unknown: bool = False  # no outcome was journalled: the write's fate is unknown


async def _write(
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
            return _Written(change_result(change, ChangeStatus.DONE, detail), None, recorded=True)
        assert change.after is not None
        assert change.applied_hash is not None
        if change.action is Action.CREATE:
            remote, detail = await _create_once(change, api, claimed)
        else:
            assert change.remote_id is not None
            body = {f: change.after.to_api()[f] for f in change.patch_fields}
            remote = await api.patch_workflow(change.remote_id, body)
    except AmbiguousCreateError as exc:
        # Its fate is unknown: no outcome is journalled, so the next run looks for it again.
        detail = f"{exc}; no workflow it could have created was found (the next run looks again)"
        return _Written(change_result(change, ChangeStatus.FAILED, detail), unknown=True)
    except ApiError as exc:
        # The journal keeps the kind of failure only: API messages may echo request content.
        error = f"{type(exc).__name__} {exc.status or ''}".strip()
        journal.append(JournalOutcome(op=op, ok=False, error=error))
        return _Written(change_result(change, ChangeStatus.FAILED, str(exc)))
    failpoint("write.after_response")
    entry = entry_for(remote, change.applied_hash, salt, change.prevent_destroy, secrets=secrets)
    journal.append(JournalOutcome(op=op, ok=True, entry=entry))
    return _Written(
        change_result(change, ChangeStatus.DONE, detail, remote.id), entry, recorded=True
    )


async def _create_once(
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
            listed = await api.list_workflows()
            found = created_by(change.after, listed, since=exc.started_at, claimed=claimed)
        except ApiError:
            found = None
        if found is None:
            raise
        claimed.add(found.id)
        return found, f"adopted {found.id} after an unanswered create ({exc})"
    claimed.add(created.id)
    return created, None
