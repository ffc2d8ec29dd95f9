"""Settling a journal left by an interrupted apply, before anything else is planned.

For each write the journal started:
- outcome `done`: the write happened; its lockfile entry is recorded now;
- outcome `failed`: the server refused it; nothing happened;
- no outcome (the process died, or a create went unanswered): its fate is unknown, so it is
  looked up: a create is searched for (same name and definition, created after the intent, not
  managed) and adopted; an update is re-read and recorded if the remote now holds the intended
  spec; a delete is confirmed by a 404.
Whatever cannot be proven is left out of the lockfile, and the next plan simply plans it again.
A journal older than the lockfile was already compacted into it (the lockfile was written, the
journal not yet removed, or kept on purpose for a create whose fate was unknown): its outcomes are
in the lockfile, but its writes without outcome are still looked up. A journal of another lineage
is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from onepin_sync.api.remote import WorkflowApi
from onepin_sync.core.diff import spec_changes
from onepin_sync.core.fingerprint import comparable, desired_fingerprint
from onepin_sync.core.matching import created_by
from onepin_sync.core.models import Action, DesiredState, StateFile, StateRefresh, WorkflowSpec
from onepin_sync.core.redact import Redactor
from onepin_sync.core.transitions import entry_for, with_refreshes
from onepin_sync.state.journal import JournalBegin, JournalIntent, JournalLine, pending


@dataclass(frozen=True)
class Settlement:
    state: StateFile
    notes: tuple[str, ...]  # one line per write whose fate was settled


async def settle_journal(
    lines: list[JournalLine], state: StateFile, desired: DesiredState, api: WorkflowApi
) -> Settlement:
    """The lockfile with every write the journal proves recorded."""
    begin = next((line for line in lines if isinstance(line, JournalBegin)), None)
    if begin is None or begin.lineage != state.lineage:
        return Settlement(state, ())
    compacted = begin.serial != state.serial  # the lockfile already holds the outcomes
    refreshes: list[StateRefresh] = []
    notes: list[str] = []
    secrets = Redactor(desired.secret_values)
    managed_ids = {e.id for e in state.workflows.values()}
    for intent, outcome in pending(lines):
        if outcome is not None:
            if outcome.ok and not compacted:
                refreshes.append(StateRefresh(key=intent.key, entry=outcome.entry))
                notes.append(f"{intent.key}: {intent.action.value} had completed; recorded")
            continue
        refresh, note = await _settle_unknown(intent, state, desired, secrets, api, managed_ids)
        notes.append(note)
        if refresh is not None:
            refreshes.append(refresh)
    return Settlement(with_refreshes(state, refreshes), tuple(notes))


async def _settle_unknown(
    intent: JournalIntent,
    state: StateFile,
    desired: DesiredState,
    secrets: Redactor,
    api: WorkflowApi,
    managed_ids: set[str],
) -> tuple[StateRefresh | None, str]:
    key, action = intent.key, intent.action.value
    if intent.action is Action.DELETE:
        assert intent.remote_id is not None
        if await api.get_workflow(intent.remote_id) is None:
            return StateRefresh(key=key, entry=None), f"{key}: interrupted delete had completed"
        return None, f"{key}: interrupted delete had not happened; it is planned again"
    spec = _intended_spec(intent, desired, state.salt)
    if spec is None:
        return None, f"{key}: interrupted {action} cannot be checked (its file changed since)"
    assert intent.applied_hash is not None
    if intent.action is Action.CREATE:
        listed = await api.list_workflows()
        found = created_by(spec, listed, since=intent.started_at, claimed=managed_ids)
        if found is None:
            return None, f"{key}: interrupted create had not happened; it is planned again"
        entry = entry_for(
            found, intent.applied_hash, state.salt, intent.prevent_destroy, secrets=secrets
        )
        managed_ids.add(found.id)
        note = f"{key}: interrupted create had completed; adopted {found.id}"
        return StateRefresh(key=key, entry=entry), note
    assert intent.remote_id is not None
    current = await api.get_workflow(intent.remote_id)
    if current is None or spec_changes(comparable(current.spec), comparable(spec)):
        return None, f"{key}: interrupted update had not landed; it is planned again"
    entry = entry_for(
        current, intent.applied_hash, state.salt, intent.prevent_destroy, secrets=secrets
    )
    return StateRefresh(key=key, entry=entry), f"{key}: interrupted update had completed"


def _intended_spec(intent: JournalIntent, desired: DesiredState, salt: str) -> WorkflowSpec | None:
    """The spec the intent was writing, if the files still hold exactly it."""
    wanted = desired.workflows.get(intent.key)
    if wanted is None or desired_fingerprint(wanted.spec, salt) != intent.applied_hash:
        return None
    return wanted.spec
