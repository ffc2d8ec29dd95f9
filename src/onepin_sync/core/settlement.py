"""Settling unanswered creates (`StateFile.pending`) against a listing, before anything is planned.

For each pending create, in key order:
- the listing shows the workflow it made (`matching.created_by`): adopt it, recording the entry
  its create would have recorded; the planner then updates or deletes it as the files now say;
- the listing, read long enough after the create was sent, shows none (`matching.surely_absent`):
  forget it, so the create is planned again if the file is still there;
- otherwise keep it, and plan nothing for that key this run (`Plan.pending`).

Pure: the listing and the server time it was read at are inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from onepin_sync.core.fingerprint import IgnoreRules
from onepin_sync.core.matching import created_by, surely_absent
from onepin_sync.core.models import PendingCreate, RemoteWorkflow, StateFile, WorkflowSpec
from onepin_sync.core.redact import Redactor
from onepin_sync.core.transitions import entry_for


def settle_pending(
    state: StateFile,
    listed: Iterable[RemoteWorkflow],
    *,
    listed_at: datetime,
    secrets: Redactor,
    sent: Mapping[str, WorkflowSpec] | None = None,
) -> tuple[StateFile, tuple[str, ...]]:
    """`state` with every pending create that the listing settles settled, and one note each;
    `sent`: by key, the spec each create sent as far as the files tell (`matching.created_by`)."""
    if not state.pending:
        return state, ()
    listing = list(listed)
    workflows = dict(state.workflows)
    pending: dict[str, PendingCreate] = {}
    claimed = {e.id for e in workflows.values()}
    notes = []
    for key, create in sorted(state.pending.items()):
        spec = (sent or {}).get(key)
        found = created_by(create, listing, salt=state.salt, claimed=claimed, sent=spec)
        if found is not None:
            claimed.add(found.id)
            workflows[key] = entry_for(
                found,
                create.applied_hash,
                state.salt,
                create.prevent_destroy,
                secret_paths=create.secret_paths,
                secrets=secrets,
                ignore=IgnoreRules.of(create.ignore_changes),
                destroy=create.destroy,
            )
            notes.append(f"{key}: interrupted create had completed; adopted {found.id}")
        elif surely_absent(create, listed_at):
            notes.append(f"{key}: interrupted create had not happened; it is planned again")
        else:
            pending[key] = create
            notes.append(
                f"{key}: a create sent at {create.sent_at.isoformat()} is still unanswered; "
                "nothing is planned for it until it settles (run again in a few minutes)"
            )
    if pending == dict(state.pending):
        return state, tuple(notes)
    settled = state.model_copy(
        update={
            "workflows": dict(sorted(workflows.items())),
            "pending": pending,
            "serial": state.serial + 1,
        }
    )
    return settled, tuple(notes)
