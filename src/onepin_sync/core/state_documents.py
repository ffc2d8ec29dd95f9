"""The versioned JSON documents of the `state` commands' `--json` (`state list`, `show`, `mv`,
`rm`, `rebuild`, `migrate`; see `documents.py` for the conventions: `format_version` 1, `kind`,
one document on stdout).

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


class StateMoveDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-state-mv"]
    tool_version: str
    lockfile: str
    key: str  # the key it was managed as
    to: str  # the key it is managed as now
    workflow_id: str
    serial: int  # the state's serial after the move


class StateForgetDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-state-rm"]
    tool_version: str
    lockfile: str
    key: str
    workflow_id: str  # left in Onepin, unmanaged
    serial: int
    file_left: str | None  # the key's workflow file, when it is still there


class RebuiltKeyDoc(FrozenModel):
    key: str
    workflow_id: str
    differs: bool  # the file differs from the workspace: the next plan updates it


class StateRebuildDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-state-rebuild"]
    tool_version: str
    lockfile: str
    written: bool  # false: nothing matched, the state was left as it was
    serial: int
    kept: int  # entries the state already had
    matched: list[RebuiltKeyDoc]  # by key
    unmatched: list[str]  # files no workflow matches (the next plan creates them)


class StateMigrateDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-state-migrate"]
    tool_version: str
    source: str
    destination: str
    lineage: str
    serial: int
