"""The versioned JSON plan document: `plan --json` output and the `plan --out FILE` format.

One format for both, described in the README, read and written through the typed models below
(as the lockfile is). Secrets are masked (the remote side also at its secret places, see
`Redactor.remote`), so a saved plan is safe to upload as a CI artifact; `apply FILE` therefore
re-reads the workflow files and checks that each planned spec still has the recorded
`applied_hash` instead of trusting the document. The document also records the lockfile lineage
and serial the plan was made against, so a plan whose lockfile moved on is refused.

Pure: the caller passes in the target and the tool version.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_serializer,
    model_serializer,
)

from onepin_sync.core.models import (
    Action,
    Change,
    FieldChange,
    FilesBehind,
    FrozenModel,
    Json,
    Plan,
    Reason,
    StateEntry,
    StateRefresh,
    WorkflowSpec,
)
from onepin_sync.core.redact import Redactor
from onepin_sync.errors import InputError

FORMAT_VERSION = 1
KIND = "onepin-sync-plan"


class PlanTarget(FrozenModel):
    """Which workspace a plan was made for."""

    api_url: str
    workspace: str | None = None
    lockfile: str


class LockfileRef(FrozenModel):
    """The lockfile a plan was made against; `salt` only when none existed yet (see below)."""

    lineage: str
    serial: int
    salt: str | None = None

    @model_serializer(mode="wrap")
    def _without_absent_salt(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.salt is None:
            data.pop("salt", None)
        return data


class Summary(FrozenModel):
    create: int
    update: int
    delete: int
    conflict: int
    refresh: int
    drift: int
    managed: int
    unmanaged: int
    move: int = 0  # lockfile-only renames (`refreshes` with `moved_from`)
    forget: int = 0  # keys dropped from the lockfile, workflows left in Onepin


class FieldChangeDoc(FrozenModel):
    """One leaf difference; `before` or `after` is absent (not null) when that side has none."""

    path: list[str]
    before: Json = None
    after: Json = None

    @model_serializer(mode="wrap")
    def _without_absent_sides(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k == "path" or k in self.model_fields_set}


class ChangeDoc(FrozenModel):
    key: str
    action: Action
    reason: Reason
    remote_id: str | None
    remote_updated_at: datetime | None
    applied_hash: str | None
    prevent_destroy: bool
    patch_fields: list[str]
    field_changes: list[FieldChangeDoc]
    before: dict[str, Json] | None
    after: dict[str, Json] | None
    duplicate_of: list[str]
    server_added: list[list[str]]
    replaces: str | None = None  # a delete and a create of the same workflow name each other

    @field_serializer("remote_updated_at")
    def _as_offset(self, value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()  # `+00:00`, as the API's reads


class RefreshDoc(FrozenModel):
    key: str
    reason: Reason | None
    entry: StateEntry | None
    moved_from: str | None = None  # a rename: the entry was recorded under this key


class BehindDoc(FrozenModel):
    """A file that lacks a change accepted from the workspace (`pull` writes it)."""

    key: str
    paths: list[list[str]]


class PlanDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-plan"]
    tool_version: str
    target: PlanTarget
    lockfile: LockfileRef
    summary: Summary
    changes: list[ChangeDoc]
    refreshes: list[RefreshDoc]
    pending: list[str]
    targets: list[str] = Field(default_factory=list)  # --target: only matching keys planned
    excludes: list[str] = Field(default_factory=list)  # --exclude: matching keys not planned
    behind: list[BehindDoc] = Field(default_factory=list)

    def to_json(self) -> dict[str, Json]:
        """The document as JSON values, ready for `json.dumps(..., sort_keys=True)`."""
        return self.model_dump(mode="json")


def plan_document(
    plan: Plan,
    target: PlanTarget,
    redactor: Redactor,
    *,
    tool_version: str,
    new_lockfile_salt: str | None = None,
) -> PlanDocument:
    """The plan as a document (secrets masked).

    `new_lockfile_salt` is given when no lockfile existed yet: the plan's lineage and hashes then
    belong to a lockfile that does not exist, and `apply FILE` must start it with this lineage and
    salt for the recorded `applied_hash`es to hold (a lockfile stores its salt the same way).
    """
    return PlanDocument(
        format_version=FORMAT_VERSION,
        kind=KIND,
        tool_version=tool_version,
        target=target,
        lockfile=LockfileRef(lineage=plan.lineage, serial=plan.serial, salt=new_lockfile_salt),
        summary=Summary(
            create=plan.count(Action.CREATE),
            update=plan.count(Action.UPDATE),
            delete=plan.count(Action.DELETE),
            conflict=len(plan.conflicts),
            refresh=len(plan.refreshes),
            drift=len(plan.drift),
            managed=plan.managed_count,
            unmanaged=plan.unmanaged_count,
            move=len(plan.moves),
            forget=len(plan.forgets),
        ),
        changes=[_change_doc(c, redactor) for c in plan.changes],
        refreshes=[
            RefreshDoc(key=r.key, reason=r.reason, entry=r.entry, moved_from=r.moved_from)
            for r in plan.refreshes
        ],
        pending=list(plan.pending),
        targets=list(plan.targets),
        excludes=list(plan.excludes),
        behind=[
            BehindDoc(key=b.key, paths=[[redactor.text(p) for p in path] for path in b.paths])
            for b in plan.behind
        ],
    )


def read_plan_document(raw: Json, source: str) -> tuple[Plan, PlanDocument]:
    """Parse a saved plan; raises InputError naming `source` when it is not one we can apply."""
    if not isinstance(raw, Mapping) or raw.get("kind") != KIND:
        raise InputError(f"{source}: not an onepin-sync plan file")
    version = raw.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise InputError(
            f"{source}: plan format_version {version!r} is not supported (expected "
            f"{FORMAT_VERSION}); re-run plan with this version of onepin-sync"
        )
    try:
        doc = PlanDocument.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise InputError(f"{source}: damaged plan file ({where}: {error['msg']})") from None
    plan = Plan(
        changes=tuple(_read_change(c) for c in doc.changes),
        refreshes=tuple(
            StateRefresh(key=r.key, entry=r.entry, reason=r.reason, moved_from=r.moved_from)
            for r in doc.refreshes
        ),
        unmanaged_count=doc.summary.unmanaged,
        managed_count=doc.summary.managed,
        pending=tuple(doc.pending),
        behind=tuple(
            FilesBehind(key=b.key, paths=tuple(tuple(p) for p in b.paths)) for b in doc.behind
        ),
        targets=tuple(doc.targets),
        excludes=tuple(doc.excludes),
        lineage=doc.lockfile.lineage,
        serial=doc.lockfile.serial,
    )
    return plan, doc


def _change_doc(change: Change, redactor: Redactor) -> ChangeDoc:
    return ChangeDoc(
        key=change.key,
        action=change.action,
        reason=change.reason,
        remote_id=change.remote_id,
        remote_updated_at=change.remote_updated_at,
        applied_hash=change.applied_hash,
        prevent_destroy=change.prevent_destroy,
        patch_fields=list(change.patch_fields),
        field_changes=[_field_doc(change.key, f, redactor) for f in change.field_changes],
        before=_before_doc(change, redactor),
        after=None if change.after is None else redactor.json(change.after.model_dump()),
        duplicate_of=list(change.duplicate_of),
        server_added=[list(path) for path in change.server_added],
        replaces=change.replaces,
    )


def _field_doc(key: str, change: FieldChange, redactor: Redactor) -> FieldChangeDoc:
    sides: dict[str, Json] = {}
    if change.before_present:
        sides["before"] = (
            redactor.remote_field(key, change.path, change.before, change.after)
            if change.after_present
            else redactor.remote_field(key, change.path, change.before)
        )
    if change.after_present:
        sides["after"] = redactor.json(change.after)
    return FieldChangeDoc(path=list(change.path), **sides)


def _before_doc(change: Change, redactor: Redactor) -> dict[str, Json] | None:
    """The remote spec, masked also at its secret places and where the desired spec holds a
    secret (a rotated one)."""
    if change.before is None:
        return None
    desired = None if change.after is None else change.after.model_dump()
    return redactor.remote(change.key, change.before.model_dump(), desired)


def _read_change(doc: ChangeDoc) -> Change:
    return Change(
        key=doc.key,
        action=doc.action,
        reason=doc.reason,
        remote_id=doc.remote_id,
        remote_updated_at=doc.remote_updated_at,
        applied_hash=doc.applied_hash,
        prevent_destroy=doc.prevent_destroy,
        patch_fields=tuple(doc.patch_fields),
        field_changes=tuple(
            FieldChange(
                path=tuple(f.path),
                before=f.before,
                after=f.after,
                before_present="before" in f.model_fields_set,
                after_present="after" in f.model_fields_set,
            )
            for f in doc.field_changes
        ),
        before=None if doc.before is None else WorkflowSpec.model_validate(doc.before),
        after=None if doc.after is None else WorkflowSpec.model_validate(doc.after),
        duplicate_of=tuple(doc.duplicate_of),
        server_added=tuple(tuple(path) for path in doc.server_added),
        replaces=doc.replaces,
    )
