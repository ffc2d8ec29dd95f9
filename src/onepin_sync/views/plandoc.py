"""The versioned JSON plan document: `plan --json` output and the `plan --out FILE` format.

One format for both, described in the README. Secret values are masked, so a saved plan is safe
to upload as a CI artifact; `apply FILE` therefore re-reads the workflow files and checks that
each planned spec still hashes to the recorded `applied_hash` instead of trusting the document.
The document also records the lockfile lineage and serial the plan was made against, so a plan
whose lockfile moved on is refused.

Pure apart from the caller passing in the target; no IO here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from onepin_sync import __version__
from onepin_sync.core.models import (
    Action,
    Change,
    FieldChange,
    FrozenModel,
    Json,
    Plan,
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


def plan_document(
    plan: Plan, target: PlanTarget, redactor: Redactor, *, new_lockfile_salt: str | None = None
) -> dict[str, Json]:
    """The plan as a JSON-ready document (secrets masked).

    `new_lockfile_salt` is given when no lockfile existed yet: the plan's lineage and hashes then
    belong to a lockfile that does not exist, and `apply FILE` must start it with this lineage and
    salt for the recorded `applied_hash`es to hold (a lockfile stores its salt the same way).
    """
    lockfile: dict[str, Json] = {"lineage": plan.lineage, "serial": plan.serial}
    if new_lockfile_salt is not None:
        lockfile["salt"] = new_lockfile_salt
    return {
        "format_version": FORMAT_VERSION,
        "kind": KIND,
        "tool_version": __version__,
        "target": target.model_dump(),
        "lockfile": lockfile,
        "summary": {
            "create": plan.count(Action.CREATE),
            "update": plan.count(Action.UPDATE),
            "delete": plan.count(Action.DELETE),
            "conflict": len(plan.conflicts),
            "refresh": len(plan.refreshes),
            "drift": len(plan.drift),
            "managed": plan.managed_count,
            "unmanaged": plan.unmanaged_count,
        },
        "changes": [_change_doc(c, redactor) for c in plan.changes],
        "refreshes": [
            {
                "key": r.key,
                "reason": None if r.reason is None else r.reason.value,
                "entry": None if r.entry is None else r.entry.model_dump(mode="json"),
            }
            for r in plan.refreshes
        ],
    }


def read_plan_document(doc: Json, source: str) -> tuple[Plan, PlanTarget]:
    """Parse a saved plan; raises InputError naming `source` when it is not one we can apply."""
    if not isinstance(doc, Mapping) or doc.get("kind") != KIND:
        raise InputError(f"{source}: not an onepin-sync plan file")
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise InputError(
            f"{source}: plan format_version {version!r} is not supported (expected "
            f"{FORMAT_VERSION}); re-run plan with this version of onepin-sync"
        )
    try:
        target = PlanTarget.model_validate(doc["target"])
        plan = Plan(
            changes=tuple(_read_change(c) for c in doc["changes"]),
            refreshes=tuple(
                StateRefresh(
                    key=r["key"],
                    entry=None if r["entry"] is None else StateEntry.model_validate(r["entry"]),
                    reason=r.get("reason"),
                )
                for r in doc["refreshes"]
            ),
            unmanaged_count=doc["summary"]["unmanaged"],
            managed_count=doc["summary"]["managed"],
            lineage=doc["lockfile"]["lineage"],
            serial=doc["lockfile"]["serial"],
        )
    except (KeyError, TypeError, ValidationError) as exc:
        raise InputError(f"{source}: damaged plan file ({_first_line(exc)})") from None
    return plan, target


def new_lockfile_salt(doc: Json) -> str | None:
    """The salt a plan made before any lockfile existed carries; None for any other plan."""
    section = doc.get("lockfile") if isinstance(doc, Mapping) else None
    salt = section.get("salt") if isinstance(section, Mapping) else None
    return salt if isinstance(salt, str) else None


def _change_doc(change: Change, redactor: Redactor) -> dict[str, Json]:
    return {
        "key": change.key,
        "action": change.action.value,
        "reason": change.reason.value,
        "remote_id": change.remote_id,
        "remote_updated_at": (
            None if change.remote_updated_at is None else change.remote_updated_at.isoformat()
        ),
        "applied_hash": change.applied_hash,
        "prevent_destroy": change.prevent_destroy,
        "patch_fields": list(change.patch_fields),
        "field_changes": [_field_doc(f, redactor) for f in change.field_changes],
        "before": _before_doc(change, redactor),
        "after": None if change.after is None else redactor.json(change.after.model_dump()),
    }


def _field_doc(change: FieldChange, redactor: Redactor) -> dict[str, Json]:
    doc: dict[str, Json] = {"path": list(change.path)}
    if change.before_present:
        doc["before"] = (
            redactor.beside(change.before, change.after)
            if change.after_present
            else redactor.json(change.before)
        )
    if change.after_present:
        doc["after"] = redactor.json(change.after)
    return doc


def _before_doc(change: Change, redactor: Redactor) -> Json:
    """The remote spec, masked also where the desired spec holds a secret (a rotated one)."""
    if change.before is None:
        return None
    before = change.before.model_dump()
    if change.after is None:
        return redactor.json(before)
    return redactor.beside(before, change.after.model_dump())


def _read_change(doc: Mapping[str, Any]) -> Change:
    return Change(
        key=doc["key"],
        action=doc["action"],
        reason=doc["reason"],
        remote_id=doc["remote_id"],
        remote_updated_at=doc["remote_updated_at"],
        applied_hash=doc["applied_hash"],
        prevent_destroy=doc["prevent_destroy"],
        patch_fields=tuple(doc["patch_fields"]),
        field_changes=tuple(
            FieldChange(
                path=tuple(f["path"]),
                before=f.get("before"),
                after=f.get("after"),
                before_present="before" in f,
                after_present="after" in f,
            )
            for f in doc["field_changes"]
        ),
        before=None if doc["before"] is None else WorkflowSpec.model_validate(doc["before"]),
        after=None if doc["after"] is None else WorkflowSpec.model_validate(doc["after"]),
    )


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
