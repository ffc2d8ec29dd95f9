"""The versioned JSON documents of `state list --json` and `state show KEY --json` (see
`documents.py` for the conventions: `format_version` 1, `kind`, one document on stdout).

A lockfile holds no secret (hashes are salted, names masked where a secret went), so these are
the lockfile's own values. Pure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import field_serializer

from onepin_sync.core.models import FrozenModel, PendingCreate, StateEntry


class StateWorkflowDoc(FrozenModel):
    key: str
    id: str
    name: str
    prevent_destroy: bool


class StatePendingDoc(FrozenModel):
    """A create that was sent but never answered (the next plan or apply settles it)."""

    key: str
    name: str
    sent_at: datetime

    @field_serializer("sent_at")
    def _as_offset(self, value: datetime) -> str:
        return value.isoformat()


class StateListDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-state-list"]
    tool_version: str
    lockfile: str  # where the state is: a path, or an object URL
    lineage: str | None  # null (and serial, api_url, workspace too) when there is no state yet
    serial: int | None
    api_url: str | None
    workspace: str | None
    workflows: list[StateWorkflowDoc]  # by key
    pending: list[StatePendingDoc]  # by key


class StateEntryDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-state-entry"]
    tool_version: str
    lockfile: str
    key: str
    workflow: StateEntry | None  # every field the state records for a managed key
    pending: PendingCreate | None  # or, for a create never answered, what it recorded
