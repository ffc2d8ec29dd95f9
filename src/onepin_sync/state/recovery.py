"""Settling a journal left by an interrupted apply, before anything else is planned.

The journal is one machine's crash record; the lockfile is what travels. So every write the
journal started is matched to the lockfile by lineage and key (never dropped because the serial
moved, as it does after a `git pull`), and whatever cannot be proven becomes lockfile state:
- outcome `done`: recorded, unless the lockfile already holds that workflow for the key; a
  create whose key the lockfile now gives to another workflow is reported, never recorded twice;
- outcome `failed`: the server refused it; nothing happened;
- no outcome: a create becomes a pending entry (`StateFile.pending`), which the run then settles
  against its listing like any other (adopt, or plan again once surely absent); an update is
  recorded if the listing shows the intended spec, else planned again; a delete is confirmed by a
  404, else planned again.
A journal of another lineage (its lockfile was replaced) cannot be matched: it is reported and
kept aside for a person to read, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from onepin_sync.api.remote import WorkflowApi
from onepin_sync.core.diff import differences
from onepin_sync.core.fingerprint import (
    DEFAULT_COMPARISON,
    Comparison,
    IgnoreRules,
    desired_fingerprint,
)
from onepin_sync.core.models import (
    Action,
    DesiredState,
    DesiredWorkflow,
    PendingCreate,
    RemoteWorkflow,
    StateEntry,
    StateFile,
)
from onepin_sync.core.redact import Redactor
from onepin_sync.core.transitions import entry_for
from onepin_sync.state.journal import (
    JournalBegin,
    JournalIntent,
    JournalLine,
    JournalOutcome,
    with_outcomes,
)


@dataclass(frozen=True)
class Settlement:
    state: StateFile
    notes: tuple[str, ...]  # one line per write whose fate was settled
    foreign: bool = False  # the journal belongs to another lockfile lineage: kept aside
    lineage_of_journal: str = ""


async def settle_journal(
    lines: list[JournalLine],
    state: StateFile,
    desired: DesiredState,
    api: WorkflowApi,
    listed: Mapping[str, RemoteWorkflow],
    comparison: Comparison = DEFAULT_COMPARISON,
) -> Settlement:
    """The lockfile with every write the journal proves recorded, and every unanswered create
    pending. `listed` is the run's listing, by id; `comparison` says how an update that may
    have landed is compared with what the workspace holds (the server's catalogue)."""
    begin = next((line for line in lines if isinstance(line, JournalBegin)), None)
    if begin is None:
        return Settlement(state, ())
    if begin.lineage != state.lineage:
        note = (
            f"the journal of an interrupted apply belongs to another lockfile (lineage "
            f"{begin.lineage}, this one is {state.lineage}); it is kept aside, unsettled"
        )
        return Settlement(state, (note,), foreign=True, lineage_of_journal=begin.lineage)
    workflows = dict(state.workflows)
    pending = dict(state.pending)
    secrets = Redactor(desired.secret_values)
    notes: list[str] = []
    for intent, outcome in with_outcomes(lines):
        if outcome is not None:
            done = _record_done(intent, outcome, workflows) if outcome.ok else None
            if done:
                notes.append(done)
            continue
        if intent.action is Action.CREATE:
            pended = _pend(intent, workflows, pending)
            if pended:
                notes.append(pended)
        elif intent.action is Action.UPDATE:
            notes.append(
                _settle_update(intent, state.salt, desired, listed, workflows, secrets, comparison)
            )
        else:
            notes.append(await _settle_delete(intent, api, listed, workflows))
    if workflows == dict(state.workflows) and pending == dict(state.pending):
        return Settlement(state, tuple(notes))
    settled = state.model_copy(
        update={
            "workflows": dict(sorted(workflows.items())),
            "pending": dict(sorted(pending.items())),
            "serial": state.serial + 1,
        }
    )
    return Settlement(settled, tuple(notes))


def _record_done(
    intent: JournalIntent, outcome: JournalOutcome, workflows: dict[str, StateEntry]
) -> str | None:
    """Record a write that completed, matched by key; None when the lockfile already has it."""
    key, current = intent.key, workflows.get(intent.key)
    if outcome.entry is None:  # a delete
        if current is not None and current.id == intent.remote_id:
            del workflows[key]
            return f"{key}: delete had completed; recorded"
        return None
    made = outcome.entry
    if current is not None and current.id == made.id:
        if current == made or current.remote_updated_at >= made.remote_updated_at:
            return None  # already recorded, or a later write to it was since (a git pull)
        workflows[key] = made
        return f"{key}: {intent.action.value} had completed; recorded"
    owner = next((k for k, e in workflows.items() if e.id == made.id), None)
    if owner is not None:
        return None  # recorded under another key since (a rename)
    if current is not None:
        return (
            f"{key}: the interrupted apply made {made.id}, but the lockfile now manages "
            f"{current.id} for this key; {made.id} is left unmanaged (import it, or delete it "
            "in Onepin)"
        )
    workflows[key] = made
    return f"{key}: {intent.action.value} had completed; recorded"


def _pend(
    intent: JournalIntent, workflows: dict[str, StateEntry], pending: dict[str, PendingCreate]
) -> str | None:
    """An unanswered create becomes pending (settled against the listing next, with its note)."""
    key = intent.key
    if intent.pending is None:
        return f"{key}: an interrupted create from an older onepin-sync cannot be matched"
    managed = workflows.get(key)
    if managed is None or managed.applied_hash != intent.pending.applied_hash:
        pending[key] = intent.pending
    return None


def _settle_update(
    intent: JournalIntent,
    salt: str,
    desired: DesiredState,
    listed: Mapping[str, RemoteWorkflow],
    workflows: dict[str, StateEntry],
    secrets: Redactor,
    comparison: Comparison,
) -> str:
    key = intent.key
    assert intent.remote_id is not None
    assert intent.applied_hash is not None
    wanted = _intended(intent, desired, salt)
    current = listed.get(intent.remote_id)
    if wanted is None:
        return f"{key}: interrupted update cannot be checked (its file changed since)"
    rules = IgnoreRules.of(wanted.ignore_changes)
    compared = replace(comparison, ignore=rules)
    if current is None or differences(current.spec, wanted.spec, compared).changes:
        return f"{key}: interrupted update had not landed; it is planned again"
    workflows[key] = entry_for(
        current,
        intent.applied_hash,
        salt,
        intent.prevent_destroy,
        secret_paths=wanted.secret_paths,
        secrets=secrets,
        ignore=rules,
        destroy=wanted.lifecycle.destroy,
    )
    return f"{key}: interrupted update had completed"


async def _settle_delete(
    intent: JournalIntent,
    api: WorkflowApi,
    listed: Mapping[str, RemoteWorkflow],
    workflows: dict[str, StateEntry],
) -> str:
    key = intent.key
    assert intent.remote_id is not None
    if intent.remote_id in listed or await api.get_workflow(intent.remote_id) is not None:
        return f"{key}: interrupted delete had not happened; it is planned again"
    current = workflows.get(key)
    if current is not None and current.id == intent.remote_id:
        del workflows[key]
    return f"{key}: interrupted delete had completed"


def _intended(intent: JournalIntent, desired: DesiredState, salt: str) -> DesiredWorkflow | None:
    """The workflow the intent was writing, if the files still hold exactly its spec."""
    wanted = desired.workflows.get(intent.key)
    if wanted is None:
        return None
    rules = IgnoreRules.of(wanted.ignore_changes)
    if desired_fingerprint(wanted.spec, salt, rules) != intent.applied_hash:
        return None
    return wanted
