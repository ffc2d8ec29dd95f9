"""The executor: runs exactly the changes of a Plan, journals every write, builds the new state.

It never rediscovers what to do. Creates and updates go first (bounded concurrency), deletes
last. A failed write stops the line by default: writes in flight finish, nothing new starts, and
every change ends as done, failed, skipped or conflict. Each write is journalled (intent fsynced
before the request, outcome after; a journal that cannot be written stops the run before that
request is sent; the journal groups the lines of concurrent writes into one fsync, off the event
loop, and a write's outcome goes in the batch of the next write's intent) so an interrupted run
can be settled by the next one.

A create whose answer never came is looked up (one search listing): adopted when found; sent
again when the server had answered with a refusal (408, 409, 429) and made nothing; otherwise
recorded as a pending entry of the new state, which the next run settles on any machine.
`stop_now` (a second Ctrl-C) cancels the writes in flight: creates among them become pending.

Interruption, the clock (`sleep`), progress and secrets are injected; the new state is returned.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import NamedTuple

from onepin_sync.api.remote import WorkflowApi
from onepin_sync.core.fingerprint import IgnoreRules
from onepin_sync.core.guards import ApplyOptions
from onepin_sync.core.matching import created_by
from onepin_sync.core.models import (
    Action,
    Change,
    PendingCreate,
    Plan,
    RemoteWorkflow,
    StateEntry,
    StateFile,
    StateRefresh,
)
from onepin_sync.core.redact import Redactor
from onepin_sync.core.results import (
    CANCELLED_IN_FLIGHT,
    ApplyResult,
    ChangeResult,
    ChangeStatus,
    change_result,
)
from onepin_sync.core.spec_paths import SpecPath
from onepin_sync.core.transitions import entry_for, pending_create, with_refreshes
from onepin_sync.errors import AmbiguousCreateError, ApiError, NotSentError, StateError
from onepin_sync.failpoints import failpoint
from onepin_sync.state.journal import (
    JournalBegin,
    JournalIntent,
    JournalOutcome,
    JournalWriter,
)

CREATE_ROUNDS = 6  # sends of one create at most, when the server keeps refusing it (408, 409;
# a 429 only without a deadline: under one, the session's pacer waits them out)
_FALLBACK_WAIT = 2.0  # seconds before re-sending a refused create the server gave no wait for


class _Run(NamedTuple):
    """What every write of one execution shares."""

    api: WorkflowApi
    salt: str
    secrets: Redactor
    secret_paths: Mapping[str, tuple[SpecPath, ...]]  # by key: where the files put secrets
    claimed: set[str]  # ids managed, created or adopted so far: never adopted again
    journal: JournalWriter
    sleep: Callable[[float], Awaitable[None]]
    last_sent: dict[str, datetime]  # server time of each create's latest send, by key


async def execute_plan(
    plan: Plan,
    api: WorkflowApi,
    state: StateFile,
    journal: JournalWriter,
    options: ApplyOptions,
    *,
    secrets: Redactor,
    secret_paths: Mapping[str, tuple[SpecPath, ...]] | None = None,
    on_result: Callable[[ChangeResult], None] = lambda _: None,
    interrupted: Callable[[], bool] = lambda: False,
    stop_now: asyncio.Event | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ApplyResult:
    """Run every change of `plan`; return each outcome and the state to write.

    `interrupted` is polled before each write starts: once it says so, writes in flight finish
    and the rest are skipped, exactly as after a failure. `stop_now`, once set, also cancels the
    writes in flight. `secrets` masks the names the journal and the lockfile record;
    `secret_paths` (by key, the desired workflows') are where each written workflow now holds a
    secret, for its lockfile entry.
    """
    await journal.commit(JournalBegin(lineage=state.lineage, serial=state.serial))
    claimed = {e.id for e in state.workflows.values()}
    run = _Run(api, state.salt, secrets, secret_paths or {}, claimed, journal, sleep, {})
    gate = asyncio.Semaphore(max(1, options.parallelism))
    results: dict[str, ChangeResult] = {}
    written: dict[str, _Written] = {}
    stopped = False

    async def one(op: int, change: Change) -> None:
        nonlocal stopped
        async with gate:
            skipped = None
            if interrupted() or (stop_now is not None and stop_now.is_set()):
                skipped = "interrupted"
            elif stopped:
                skipped = "an earlier write failed"
            if skipped is not None:
                results[change.key] = change_result(change, ChangeStatus.SKIPPED, skipped)
                on_result(results[change.key])
                return
            pending = _pending_for(change, run)
            write = _write(op, change, run, pending)
            done = await _until_stopped(write, change, pending, stop_now, run.last_sent)
            failed = done.result.status is not ChangeStatus.DONE
            if done.halt or (failed and not options.continue_on_error):
                stopped = True
        # Its outcome goes to disk once the gate has let the next write in, whose intent joins
        # the same batch: a write waits for one fsync before it is sent, not for two.
        done = await _journalled(change, done, journal)
        stopped = stopped or done.halt
        written[change.key] = done
        results[change.key] = done.result
        on_result(done.result)

    numbered = list(enumerate(plan.changes, start=1))
    for phase in (
        [(op, c) for op, c in numbered if c.action is not Action.DELETE],
        [(op, c) for op, c in numbered if c.action is Action.DELETE],
    ):
        await asyncio.gather(*(one(op, change) for op, change in phase))
    await journal.idle()  # a write cancelled mid-commit leaves its batch on its way to disk
    return _result(plan, state, results, written)


def _result(
    plan: Plan, state: StateFile, results: dict[str, ChangeResult], written: dict[str, _Written]
) -> ApplyResult:
    refreshed = [
        *plan.refreshes,
        *(StateRefresh(key=k, entry=w.entry) for k, w in written.items() if w.recorded),
    ]
    new_state = with_refreshes(state, refreshed)
    pending = {k: w.pending for k, w in written.items() if w.pending is not None}
    if pending:
        new_state = new_state.model_copy(
            update={
                "pending": dict(sorted({**new_state.pending, **pending}.items())),
                "serial": state.serial + 1,
            }
        )
    unknown = [k for k, w in written.items() if w.unknown]
    return ApplyResult(
        results=tuple(results[c.key] for c in plan.changes),
        state=new_state,
        unresolved=tuple(sorted(unknown)),
    )


class _Written(NamedTuple):
    result: ChangeResult
    entry: StateEntry | None = None  # the lockfile entry (None for a delete: forget the key)
    recorded: bool = False  # whether `entry` goes into the lockfile
    unknown: bool = False  # its fate is unknown: the journal keeps its intent
    pending: PendingCreate | None = None  # an unanswered create, for the lockfile
    halt: bool = False  # nothing more may be written (the journal failed)
    outcome: JournalOutcome | None = None  # what the journal records of the answer


async def _journalled(change: Change, done: _Written, journal: JournalWriter) -> _Written:
    """`done` once its outcome is on disk; when the journal refuses it, nothing more is written."""
    if done.outcome is None:
        return done
    try:
        await journal.commit(done.outcome)
    except StateError as exc:
        if done.outcome.ok:  # the write is done and known: the lockfile records it; stop here
            return done._replace(halt=True, outcome=None)
        # A refusal whose outcome could not be journalled: nothing happened.
        return _Written(change_result(change, ChangeStatus.FAILED, f"{exc}"), halt=True)
    return done


async def _until_stopped(
    write: Awaitable[_Written],
    change: Change,
    pending: PendingCreate | None,
    stop_now: asyncio.Event | None,
    last_sent: Mapping[str, datetime],
) -> _Written:
    """`write`, unless `stop_now` is set first: then the write is cancelled mid-flight (a create
    becomes pending, timed from its latest send)."""
    task = asyncio.ensure_future(write)
    if stop_now is None:
        return await task
    stopper = asyncio.ensure_future(stop_now.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    detail = CANCELLED_IN_FLIGHT
    if pending is not None and change.key in last_sent:
        pending = pending.model_copy(update={"sent_at": last_sent[change.key]})
    return _Written(
        change_result(change, ChangeStatus.FAILED, detail),
        unknown=pending is None,
        pending=pending,
        halt=True,
    )


def _pending_for(change: Change, run: _Run) -> PendingCreate | None:
    """What the lockfile records for `change` if it is a create whose answer never comes."""
    if change.action is not Action.CREATE:
        return None
    assert change.after is not None
    assert change.applied_hash is not None
    return pending_create(
        change.after,
        change.applied_hash,
        run.salt,
        change.prevent_destroy,
        sent_at=run.api.server_now(),
        secret_paths=run.secret_paths.get(change.key, ()),
        secrets=run.secrets,
        destroy=change.destroy,
        ignore_changes=change.ignore_changes,
    )


async def _write(op: int, change: Change, run: _Run, pending: PendingCreate | None) -> _Written:
    """One write: journal the intent, send it; the outcome to journal comes with the answer."""
    failpoint("write.before_intent")
    intent = JournalIntent(
        op=op,
        key=change.key,
        action=change.action,
        remote_id=change.remote_id,
        name=run.secrets.text(change.after.name) if change.after else None,
        applied_hash=change.applied_hash,
        prevent_destroy=change.prevent_destroy,
        started_at=run.api.server_now() if pending is None else pending.sent_at,
        pending=pending,
    )
    try:
        await run.journal.commit(intent)
    except StateError as exc:
        return _Written(change_result(change, ChangeStatus.FAILED, f"{exc}"), halt=True)
    failpoint("write.before_request")
    return await _send(op, change, run, pending)


async def _send(op: int, change: Change, run: _Run, pending: PendingCreate | None) -> _Written:
    detail = None
    try:
        if change.action is Action.DELETE:
            assert change.remote_id is not None
            gone_before = not await run.api.delete_workflow(change.remote_id)
            failpoint("write.after_response")
            detail = "already gone" if gone_before else None
            outcome = JournalOutcome(op=op, ok=True, entry=None)
            return _Written(
                change_result(change, ChangeStatus.DONE, detail), recorded=True, outcome=outcome
            )
        assert change.after is not None
        assert change.applied_hash is not None
        if change.action is Action.CREATE:
            assert pending is not None
            remote, detail = await _create(change, pending, run)
        else:
            assert change.remote_id is not None
            body = {f: change.after.to_api()[f] for f in change.patch_fields}
            remote = await run.api.patch_workflow(change.remote_id, body)
    except AmbiguousCreateError as exc:
        # Its fate is unknown: the lockfile records it as pending (timed from its last send);
        # the next run settles it.
        detail = f"{exc}; no workflow it could have created was found (the next run looks again)"
        assert pending is not None
        if change.key in run.last_sent:  # it was sent again: time it from the last send
            pending = pending.model_copy(update={"sent_at": exc.started_at})
        return _Written(change_result(change, ChangeStatus.FAILED, detail), pending=pending)
    except NotSentError:
        # Interrupted while it waited for its turn: nothing was sent, so nothing happened.
        outcome = JournalOutcome(op=op, ok=False, error="NotSentError")
        skipped = change_result(change, ChangeStatus.SKIPPED, "interrupted")
        return _Written(skipped, outcome=outcome)
    except ApiError as exc:
        # The journal keeps the kind of failure only: API messages may echo request content.
        error = f"{type(exc).__name__} {exc.status or ''}".strip()
        outcome = JournalOutcome(op=op, ok=False, error=error)
        return _Written(change_result(change, ChangeStatus.FAILED, str(exc)), outcome=outcome)
    failpoint("write.after_response")
    entry = entry_for(
        remote,
        change.applied_hash,
        run.salt,
        change.prevent_destroy,
        secret_paths=run.secret_paths.get(change.key, ()),
        secrets=run.secrets,
        destroy=change.destroy,
        ignore=IgnoreRules.of(change.ignore_changes),
        file_hash=change.file_hash,
        variables=change.variables,
    )
    return _Written(
        change_result(change, ChangeStatus.DONE, detail, remote.id),
        entry,
        recorded=True,
        outcome=JournalOutcome(op=op, ok=True, entry=entry),
    )


async def _create(
    change: Change, pending: PendingCreate, run: _Run
) -> tuple[RemoteWorkflow, str | None]:
    """POST; after an ambiguous failure adopt the workflow it made, never re-send blindly.

    A refusal the server finished with (408, 409, 429) that made nothing, as a search listing
    then shows, is sent again after the server's wait, up to `CREATE_ROUNDS` sends; a 429 the
    run's deadline leaves time to wait out (`free_resend`) uses up none of them. `claimed`
    keeps two identical files from adopting one workflow (an id found is claimed before the next
    coroutine runs).
    """
    assert change.after is not None
    counted = 0  # refusals that used up one of the CREATE_ROUNDS sends
    resend = False  # the first send is timed by `pending` already
    while True:
        if resend:
            run.last_sent[change.key] = run.api.server_now()
        resend = True
        try:
            created = await run.api.create_workflow(change.after)
        except AmbiguousCreateError as exc:
            sent = pending.model_copy(update={"sent_at": exc.started_at})
            found = await _look_up(change, sent, run)
            if found is not None:
                run.claimed.add(found.id)
                return found, f"adopted {found.id} after an unanswered create ({exc})"
            if not exc.answered:
                raise
            if not exc.free_resend:
                counted += 1
                if counted == CREATE_ROUNDS:
                    raise
            await run.sleep(exc.retry_after if exc.retry_after is not None else _FALLBACK_WAIT)
            continue
        run.claimed.add(created.id)
        return created, None


async def _look_up(change: Change, pending: PendingCreate, run: _Run) -> RemoteWorkflow | None:
    """The workflow an ambiguous create made, from one search listing by its name (a full one
    when the name holds a secret: it would travel in the URL, and show in --debug lines)."""
    assert change.after is not None
    name = change.after.name
    try:
        listed = await run.api.list_workflows(
            search=None if run.secrets.holds_secret(name) else name
        )
    except ApiError:
        return None
    return created_by(pending, listed, salt=run.salt, claimed=run.claimed, sent=change.after)
