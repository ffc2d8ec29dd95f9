"""Plans built by hand, run through the executor against `InMemoryWorkflowApi` with a real
`Journal` in a test's folder, and short summaries of what came out for exact assertions:

    statuses(result)     {key: "done" | "failed: DETAIL" | "skipped: DETAIL" ...}
    journalled(folder)   ["begin LINEAGE SERIAL", "intent OP ACTION KEY", "outcome OP ok", ...]

`execute` never really sleeps: the executor's waits between re-sends of a refused create go to a
sleep that records them (`slept`) and moves the workspace's clock on by as much.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path

from onepin_sync.commands.executor import execute_plan
from onepin_sync.core.fingerprint import desired_fingerprint
from onepin_sync.core.guards import ApplyOptions
from onepin_sync.core.models import (
    SPEC_FIELDS,
    Action,
    Change,
    Plan,
    Reason,
    RemoteWorkflow,
    StateFile,
    WorkflowSpec,
)
from onepin_sync.core.redact import Redactor
from onepin_sync.core.results import ApplyResult, ChangeResult
from onepin_sync.errors import ApiError
from onepin_sync.state.journal import (
    Journal,
    JournalBegin,
    JournalIntent,
    JournalOutcome,
    read_journal,
)
from tests.commands.fake_api import InMemoryWorkflowApi
from tests.core.builders import SALT

REFUSED = ApiError("server error", status=500)
EARLIER = "skipped: an earlier write failed"


def creating(key: str, after: WorkflowSpec) -> Change:
    return Change(
        key=key,
        action=Action.CREATE,
        reason=Reason.NEW,
        after=after,
        applied_hash=desired_fingerprint(after, SALT),
    )


def updating(key: str, before: RemoteWorkflow, after: WorkflowSpec) -> Change:
    changed = tuple(f for f in SPEC_FIELDS if getattr(before.spec, f) != getattr(after, f))
    return Change(
        key=key,
        action=Action.UPDATE,
        reason=Reason.CHANGED_IN_GIT,
        remote_id=before.id,
        remote_updated_at=before.updated_at,
        before=before.spec,
        after=after,
        patch_fields=changed,
        applied_hash=desired_fingerprint(after, SALT),
    )


def deleting(key: str, before: RemoteWorkflow) -> Change:
    return Change(
        key=key,
        action=Action.DELETE,
        reason=Reason.REMOVED_FROM_CONFIG,
        remote_id=before.id,
        remote_updated_at=before.updated_at,
        before=before.spec,
    )


def plan_of(*changes: Change, state: StateFile) -> Plan:
    return Plan(
        changes=changes,
        lineage=state.lineage,
        serial=state.serial,
        managed_count=len(state.workflows),
    )


def execute(
    plan: Plan,
    api: InMemoryWorkflowApi,
    state: StateFile,
    tmp_path: Path,
    options: ApplyOptions,
    *,
    secrets: Redactor | None = None,
    secret_paths: Mapping[str, tuple[tuple[str, ...], ...]] | None = None,
    on_result: Callable[[ChangeResult], None] = lambda _: None,
    interrupted: Callable[[], bool] = lambda: False,
    stop_when: Callable[[], bool] | None = None,
    slept: list[float] | None = None,
    journal_write: Callable[[int, bytes], int] = os.write,
) -> ApplyResult:
    """`plan` executed; `stop_when`, when given, sets `stop_now` (a second Ctrl-C) as soon as it
    holds; every sleep is recorded in `slept`; `journal_write` is the journal's low-level write."""
    journal = Journal(tmp_path / "journal.jsonl", write=journal_write)
    waits = [] if slept is None else slept

    async def sleep(delay: float) -> None:
        waits.append(delay)
        api.clock.advance(timedelta(seconds=delay))
        await asyncio.sleep(0)

    async def run() -> ApplyResult:
        stop_now = asyncio.Event()

        async def watch(until: Callable[[], bool]) -> None:
            while not until():
                await asyncio.sleep(0)
            stop_now.set()

        watcher = None if stop_when is None else asyncio.ensure_future(watch(stop_when))
        try:
            return await execute_plan(
                plan,
                api,
                state,
                journal,
                options,
                secrets=secrets or Redactor(),
                secret_paths=secret_paths,
                on_result=on_result,
                interrupted=interrupted,
                stop_now=stop_now,
                sleep=sleep,
            )
        finally:
            if watcher is not None:
                watcher.cancel()

    try:
        return asyncio.run(run())
    finally:
        journal.close()


def statuses(result: ApplyResult) -> dict[str, str]:
    return {r.key: f"{r.status}: {r.detail}" if r.detail else str(r.status) for r in result.results}


def journalled(tmp_path: Path) -> list[str]:
    """The journal's lines, one short string each."""
    summary = []
    for line in read_journal(tmp_path / "journal.jsonl"):
        if isinstance(line, JournalBegin):
            summary.append(f"begin {line.lineage} {line.serial}")
        elif isinstance(line, JournalIntent):
            summary.append(f"intent {line.op} {line.action} {line.key}")
        else:
            summary.append(f"outcome {line.op} " + ("ok" if line.ok else f"failed {line.error}"))
    return summary


def outcomes(tmp_path: Path) -> dict[int, JournalOutcome]:
    """The journal's outcome lines by op."""
    lines = read_journal(tmp_path / "journal.jsonl")
    return {line.op: line for line in lines if isinstance(line, JournalOutcome)}


def intents(tmp_path: Path) -> list[JournalIntent]:
    lines = read_journal(tmp_path / "journal.jsonl")
    return [line for line in lines if isinstance(line, JournalIntent)]
