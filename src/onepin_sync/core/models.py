"""Frozen value objects that flow through the pipeline.

    workflow files -> DesiredState ┐
    list API       -> RemoteState  ├─ plan_changes() -> Plan
    lockfile       -> StateFile    ┘

Definitions are JSON values exactly as the API takes them (edges use `sourcePort`/`targetPort`).
They are held as plain mappings for speed and never mutated after construction: every function
that needs a different definition builds a new one. Pure: imports no IO, clock or environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Json = Any
"""A JSON value: dict, list, str, int, float, bool or None."""


class FrozenModel(BaseModel):
    # Each model's validator is built when it is first used, not on import: a command pays only
    # for the models it uses (subclasses inherit it, as every model of onepin-sync does).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


# --- the three fields onepin-sync manages on a workflow ------------------------------------------

SPEC_FIELDS: tuple[str, ...] = ("name", "description", "definition")
"""Top-level workflow fields onepin-sync owns, in display order."""


class WorkflowSpec(FrozenModel):
    """What onepin-sync manages on one workflow; the body of a create or a full update."""

    name: str
    description: str | None = None
    definition: Mapping[str, Json] = Field(default_factory=dict)

    def to_api(self) -> dict[str, Json]:
        """The JSON body for `POST /workflows` (description sent explicitly, null clears)."""
        return {field: getattr(self, field) for field in SPEC_FIELDS}


class Lifecycle(FrozenModel):
    """Per-workflow rules for onepin-sync itself; never sent to the API."""

    prevent_destroy: bool = False
    destroy: bool = True  # False: removing the file forgets the workflow instead of deleting it
    ignore_changes: tuple[str, ...] = ()  # as the file lists them (see `core/ignore.py`)


# --- desired: what the files say -----------------------------------------------------------------


class DesiredWorkflow(FrozenModel):
    """One workflow file, validated and interpolated."""

    key: str  # path under the workflows folder without extension, '/'-separated
    path: str  # file path as given to the user in messages
    spec: WorkflowSpec
    lifecycle: Lifecycle = Lifecycle()
    secret_paths: tuple[tuple[str, ...], ...] = ()  # where a ${secret.X} went (spec_paths.py)
    ignore_changes: tuple[str, ...] = ()  # the rules in force: the file's, and its unplaced nodes
    # What the spec was made of: the file's bytes and the values of its placeholders (`env.X`,
    # `secret.X`, sorted), digested (`fingerprint.content_digest`; None: not made from a file).
    content_digest: str | None = None
    variables: tuple[str, ...] = ()


class AppliedFile(FrozenModel):
    """A workflow file that loaded as exactly what its lockfile entry says was last applied: its
    fingerprint is the entry's `applied_hash`, under the rules the entry recorded. A plan keeps
    it without its spec, so 10,000 unchanged files cost a few hundred bytes each, not their
    definitions (see `core/settled.py`); the file is read again when the plan needs the spec
    after all (the workspace's copy changed, or the lockfile moved on since the file was read).
    """

    key: str
    path: str
    lifecycle: Lifecycle = Lifecycle()
    secret_paths: tuple[tuple[str, ...], ...] = ()
    ignore_changes: tuple[str, ...] = ()
    applied_hash: str  # the entry's, when the file was read
    file_hash: str | None = None  # its bytes and values, salted (`StateEntry.file_hash`)
    variables: tuple[str, ...] = ()


class MovedKey(FrozenModel):
    """A `moved: [{from, to}]` entry of the project file: the workflow managed as `from_key`
    is now the file of `to_key` (a rename keeps its Onepin id and run history)."""

    from_key: str
    to_key: str
    where: str  # `onepin-sync.yaml:12:5`, for messages


class RemovedKey(FrozenModel):
    """A `removed: [{key}]` entry of the project file: stop managing `key`, leave its workflow
    in Onepin."""

    key: str
    where: str


class DesiredState(FrozenModel):
    """Every workflow file in the workflows folder."""

    workflows: Mapping[str, DesiredWorkflow]  # by key
    applied: Mapping[str, AppliedFile] = Field(default_factory=dict)  # by key; see AppliedFile
    secret_values: frozenset[str] = frozenset()  # interpolated ${secret.X} values, for masking
    folder_exists: bool = True
    references: frozenset[tuple[str, str]] = frozenset()  # ("env" | "secret", NAME) as written
    moved: tuple[MovedKey, ...] = ()  # the project file's `moved:` entries
    removed: tuple[RemovedKey, ...] = ()  # the project file's `removed:` entries

    @property
    def keys(self) -> frozenset[str]:
        """Every workflow file's key, those kept without their spec included."""
        return frozenset(self.workflows.keys() | self.applied.keys())

    def path_of(self, key: str) -> str:
        """The file of `key`, as messages name it."""
        found = self.workflows.get(key)
        return found.path if found is not None else self.applied[key].path


# --- remote: what the API says -------------------------------------------------------------------


class RemoteWorkflow(FrozenModel):
    """One workflow as the API returned it (list item with definition, or a single GET)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    name: str
    description: str | None = None
    definition: Mapping[str, Json] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime

    @property
    def spec(self) -> WorkflowSpec:
        return WorkflowSpec(**{field: getattr(self, field) for field in SPEC_FIELDS})


class RemoteState(FrozenModel):
    """The workspace as listed, plus what GETs confirmed about managed ids missing from the list."""

    workflows: Mapping[str, RemoteWorkflow]  # by id
    confirmed_missing: frozenset[str] = frozenset()  # managed ids a GET answered 404 for
    # Ids listed exactly as the lockfile recorded them, for files kept without their spec: their
    # definitions were dropped as they were read (`core/settled.py`).
    settled: frozenset[str] = frozenset()
    # The `fingerprint.listed_digest` of each listed workflow read through a settler, by id.
    listed: Mapping[str, str] = Field(default_factory=dict)


# --- state: the lockfile -------------------------------------------------------------------------


class StateEntry(FrozenModel):
    """What the lockfile remembers about one managed workflow.

    `secret_paths` are the places (see `spec_paths.py`) where the workspace holds a secret, as the
    files put them at the last write: every view masks them in the remote spec, so a secret the
    files no longer name (rotated, replaced by a literal, or in a removed file) is never shown.
    Places only, never values.

    `file_hash` (salted, see `fingerprint.file_fingerprint`) digests the bytes of the file that
    loaded as `applied_hash` and the values its `variables` took then, and is only recorded
    together with that file's lifecycle flags, ignore rules and secret places: a run finding the
    same bytes and values keeps the file as applied without parsing it (`core/settled.py`).
    `listed_hash` (salted, `fingerprint.listed_fingerprint`) digests the listing's text of the
    spec `remote_hash` was taken from: a listing spelling it the same way is known to be that
    spec without taking its canonical form.
    """

    id: str
    name: str
    applied_hash: str  # hash of the desired spec last applied
    remote_hash: str  # hash of the remote spec as read back right after that apply
    remote_updated_at: datetime
    prevent_destroy: bool = False
    secret_paths: tuple[tuple[str, ...], ...] = ()  # sorted
    destroy: bool = True  # lifecycle.destroy: False makes removing the file forget the workflow
    ignore_changes: tuple[str, ...] = ()  # the ignore rules both hashes were taken under
    accepted_remote: bool = False  # a remote change `--refresh-only` accepted, not yet in the files
    file_hash: str | None = None  # None: not known (an entry older than it, or not from a file)
    variables: tuple[str, ...] = ()  # `env.X` / `secret.X` the file's placeholders name, sorted
    listed_hash: str | None = None  # the listing's text of the spec of `remote_hash` (see above)


class PendingCreate(FrozenModel):
    """A create that was sent but never answered: it may or may not have made a workflow.

    The lockfile carries it to whichever run comes next (on any machine), which settles it
    against a listing before planning: adopt the workflow it made, or, once it is surely absent,
    forget it so the create is planned again. Never sent twice, never orphaned.
    """

    name: str  # for people reading the lockfile (a secret in it masked)
    name_hash: str  # salted fingerprint of the exact name sent, to match it
    structure: str  # salted structural fingerprint of the definition sent (see fingerprint.py)
    applied_hash: str  # the desired fingerprint it would record
    sent_at: datetime  # server time, just before the request was sent
    prevent_destroy: bool = False
    secret_paths: tuple[tuple[str, ...], ...] = ()  # the entry it would record has these
    destroy: bool = True  # and the file's other lifecycle flags: `lifecycle.destroy`,
    ignore_changes: tuple[str, ...] = ()  # and the ignore rules its hashes are taken under


class StateFile(FrozenModel):
    """The lockfile (`onepin-sync.lock`): which workflows onepin-sync manages, and their hashes."""

    format_version: int = 3
    lineage: str
    serial: int = 0
    salt: str  # per-lineage random salt for every stored hash (secrets are never stored)
    api_url: str
    workspace: str | None = None  # the workspace the API key is bound to (None: not yet known)
    workflows: Mapping[str, StateEntry] = Field(default_factory=dict)  # by key
    pending: Mapping[str, PendingCreate] = Field(default_factory=dict)  # unanswered creates


# --- plan ----------------------------------------------------------------------------------------


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    IMPORT = "import"  # adopt an unmanaged workflow: a file written, nothing sent (`import --all`)


class Reason(StrEnum):
    """Why a change is planned; for display and for the conflict rule, never for execution."""

    NEW = "new"
    CHANGED_IN_GIT = "changed in git"
    DRIFT = "changed outside onepin-sync"
    CONFLICT = "changed in git and outside onepin-sync"
    MISSING_REMOTELY = "missing remotely"
    REMOVED_FROM_CONFIG = "removed from config"
    MOVED = "moved"  # a lockfile entry recorded under a new key; nothing written to Onepin
    FORGOTTEN = "forgotten"  # dropped from the lockfile, the workflow left in Onepin
    UNMANAGED = "unmanaged in the workspace"  # an import's reason


class FieldChange(FrozenModel):
    """One leaf-level difference, addressed by a display path (nodes and edges by id)."""

    path: tuple[str, ...]
    before: Json = None
    after: Json = None
    before_present: bool = True
    after_present: bool = True


class Change(FrozenModel):
    """One planned write on one workflow."""

    key: str
    action: Action
    reason: Reason
    remote_id: str | None = None
    remote_updated_at: datetime | None = None  # as seen when planning; re-checked before writing
    before: WorkflowSpec | None = None  # remote spec (None for create)
    after: WorkflowSpec | None = None  # desired spec (None for delete)
    patch_fields: tuple[str, ...] = ()  # top-level fields an update sends
    field_changes: tuple[FieldChange, ...] = ()
    applied_hash: str | None = None  # hash of `after`, recorded in the lockfile on success
    prevent_destroy: bool = False
    duplicate_of: tuple[str, ...] = ()  # unmanaged workflows with the same name (creates only)
    server_added: tuple[tuple[str, ...], ...] = ()  # keys only the server writes (never reverted)
    replaces: str | None = None  # the other half of a delete + create of the same content
    destroy: bool = True  # the file's lifecycle.destroy, recorded in the lockfile on success
    ignore_changes: tuple[str, ...] = ()  # the file's ignore rules, recorded likewise
    file_hash: str | None = None  # the file's `StateEntry.file_hash`, recorded likewise
    variables: tuple[str, ...] = ()


class StateRefresh(FrozenModel):
    """A lockfile-only update: remote already matches, only the recorded entry moves.

    `entry` None forgets the key (its workflow is gone, or it is left in Onepin unmanaged:
    reason `FORGOTTEN`); `moved_from` records the entry under `key` instead of that key (a
    rename: reason `MOVED`, the workflow keeps its Onepin id).
    """

    key: str
    entry: StateEntry | None
    reason: Reason | None = None  # why, when it is more than hashes moving (see `Plan.drift`)
    moved_from: str | None = None


class FilesBehind(FrozenModel):
    """A managed workflow whose file lacks a change the lockfile accepted from the workspace
    (`apply --refresh-only`): nothing to apply, and `pull` writes the change into the file."""

    key: str
    paths: tuple[tuple[str, ...], ...]  # where the workspace differs from the file (display)


_DRIFT_REASONS = frozenset({Reason.DRIFT, Reason.MISSING_REMOTELY})


class Plan(FrozenModel):
    """Everything apply will do, computed once and executed exactly."""

    changes: tuple[Change, ...]
    refreshes: tuple[StateRefresh, ...] = ()
    unmanaged_count: int = 0
    managed_count: int = 0
    pending: tuple[str, ...] = ()  # keys whose unanswered create is not settled yet: not planned
    behind: tuple[FilesBehind, ...] = ()  # files that lack a change accepted from the workspace
    targets: tuple[str, ...] = ()  # --target patterns: only matching keys were planned
    excludes: tuple[str, ...] = ()  # --exclude patterns: matching keys were not planned
    lineage: str
    serial: int

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def drift(self) -> tuple[StateRefresh, ...]:
        """Refreshes accepting changes made outside onepin-sync (only with `--refresh-only`)."""
        return tuple(r for r in self.refreshes if r.reason in _DRIFT_REASONS)

    @property
    def moves(self) -> tuple[StateRefresh, ...]:
        """Lockfile entries recorded under a new key (renames); the workflows keep their ids."""
        return tuple(r for r in self.refreshes if r.moved_from is not None)

    @property
    def forgets(self) -> tuple[StateRefresh, ...]:
        """Keys dropped from the lockfile while their workflows stay in Onepin."""
        return tuple(r for r in self.refreshes if r.reason is Reason.FORGOTTEN)

    @property
    def replacements(self) -> tuple[Change, ...]:
        """Deletes whose content a create in the same plan makes again (a rename without a
        `moved` entry: the workflow would lose its id and run history)."""
        return tuple(c for c in self.changes if c.action is Action.DELETE and c.replaces)

    @property
    def conflicts(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.reason is Reason.CONFLICT)

    @property
    def possible_duplicates(self) -> tuple[Change, ...]:
        """Creates beside an unmanaged workflow of the same name."""
        return tuple(c for c in self.changes if c.duplicate_of)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)
