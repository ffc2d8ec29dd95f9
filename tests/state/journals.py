"""What the recovery tests share: specs of one create, one update and one delete, journal lines,
and the chain a run settles an interrupted apply with (`recover`, `settle`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from onepin_sync.core.fingerprint import desired_fingerprint
from onepin_sync.core.models import (
    Action,
    DesiredState,
    RemoteWorkflow,
    StateEntry,
    StateFile,
    WorkflowSpec,
)
from onepin_sync.core.redact import Redactor
from onepin_sync.core.settlement import settle_pending
from onepin_sync.core.transitions import pending_create
from onepin_sync.state.journal import JournalBegin, JournalIntent, JournalLine, JournalOutcome
from onepin_sync.state.recovery import Settlement, settle_journal
from tests.commands.fake_api import Call, InMemoryWorkflowApi
from tests.core.builders import SALT, spec

KEPT = spec(name="Kept")
APPLIED = spec(name="Edited")  # what the lockfile says was applied to "edited"
EDITED = spec(name="Edited", description="Greets everyone")  # what the update was writing
REMOVED = spec(name="Removed")
NEW = spec(name="New")
AFTER = {"new": NEW, "edited": EDITED}
BEGIN = JournalBegin(lineage="lineage-1", serial=7)
NEXT_RUN = timedelta(minutes=2)  # how long after the interrupted apply the next run starts


@dataclass(frozen=True)
class Recovered:
    journal: Settlement  # what `settle_journal` made of the journal
    state: StateFile  # ... and of that, `settle_pending`: what the run plans from
    notes: tuple[str, ...]  # both steps' notes, in the order a run shows them


def recover(
    lines: list[JournalLine], state: StateFile, want: DesiredState, api: InMemoryWorkflowApi
) -> Recovered:
    """One listing (timed by the server's clock as it is asked for), the journal settled against
    it, then the pending creates."""

    async def run() -> Recovered:
        listed_at = api.server_now()
        listing = await api.list_workflows()
        journal = await settle_journal(lines, state, want, api, {w.id: w for w in listing})
        settled, notes = settle_pending(
            journal.state, listing, listed_at=listed_at, secrets=Redactor(want.secret_values)
        )
        return Recovered(journal, settled, (*journal.notes, *notes))

    return asyncio.run(run())


def settle(
    lines: list[JournalLine],
    state: StateFile,
    want: DesiredState,
    api: InMemoryWorkflowApi,
    listed: Mapping[str, RemoteWorkflow],
) -> Settlement:
    """`settle_journal` alone, against the listing given."""
    return asyncio.run(settle_journal(lines, state, want, api, listed))


def intent(
    op: int,
    key: str,
    action: Action,
    api: InMemoryWorkflowApi,
    *,
    after: WorkflowSpec | None = None,
    remote_id: str | None = None,
) -> JournalIntent:
    """The intent the executor journals just before a write, started now by the server's clock;
    a create's carries the pending entry the lockfile records if it goes unanswered."""
    started_at = api.server_now()
    applied = desired_fingerprint(after, SALT) if after else None
    pending = None
    if action is Action.CREATE:
        assert after is not None
        assert applied is not None
        pending = pending_create(after, applied, SALT, False, sent_at=started_at)
    return JournalIntent(
        op=op,
        key=key,
        action=action,
        remote_id=remote_id,
        name=after.name if after else None,
        applied_hash=applied,
        started_at=started_at,
        pending=pending,
    )


def done(op: int, recorded: StateEntry | None) -> JournalOutcome:
    return JournalOutcome(op=op, ok=True, entry=recorded)


def refused(op: int) -> JournalOutcome:
    return JournalOutcome(op=op, ok=False, error="ApiError 500")


def absent_again(key: str) -> str:
    return f"{key}: interrupted create had not happened; it is planned again"


LISTED: list[Call] = [("list",)]
"""The calls of a settlement that needs nothing but the run's listing."""
