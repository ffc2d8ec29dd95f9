"""The `--json` documents: the JSON Schemas shipped in the package are the ones the models make,
and golden documents (apply with a failure, validate online) hold to them, secrets masked.

Run with ONEPIN_SYNC_UPDATE_GOLDEN=1 to rewrite the schemas in src/onepin_sync/schemas/ and the
golden documents in tests/views/golden/ after an intended change; review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from onepin_sync.api.client import BlockedReason, ValidationIssue, ValidationReport
from onepin_sync.commands.apply import ApplyOutcome
from onepin_sync.commands.validate import ValidateOutcome, Variable
from onepin_sync.core.documents import DOCUMENTS, document_schema
from onepin_sync.core.models import Action, Change, Plan, Reason
from onepin_sync.core.plan_document import PlanTarget
from onepin_sync.core.redact import MASK, Redactor
from onepin_sync.core.results import ApplyResult, ChangeResult, ChangeStatus
from onepin_sync.views.documents import apply_document, validate_document
from tests.core.builders import lockfile, spec
from tests.documents import check_document

GOLDEN = Path(__file__).parent / "golden"
SCHEMAS = Path(__file__).resolve().parents[2] / "src" / "onepin_sync" / "schemas"
SECRET = "pw-Zt81kQ"
UPDATE = os.environ.get("ONEPIN_SYNC_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("kind", sorted(DOCUMENTS))
def test_the_shipped_schemas_are_the_models(kind: str) -> None:
    text = json.dumps(document_schema(kind), indent=2, sort_keys=True) + "\n"
    path = SCHEMAS / f"{kind}.schema.json"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, "rerun with ONEPIN_SYNC_UPDATE_GOLDEN=1"


def _golden(name: str, document: Any) -> None:
    check_document(document)
    document = {**document, "tool_version": "VERSION"}
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if UPDATE:
        (GOLDEN / name).write_text(text, encoding="utf-8")
    assert (GOLDEN / name).read_text(encoding="utf-8") == text
    assert SECRET not in text


def test_an_incomplete_apply_document_golden() -> None:
    plan = Plan(
        changes=(
            Change(key="a/new", action=Action.CREATE, reason=Reason.NEW, after=spec()),
            Change(
                key="b/edit", action=Action.UPDATE, reason=Reason.CHANGED_IN_GIT, remote_id="w2"
            ),
            Change(key="c/gone", action=Action.DELETE, reason=Reason.REMOVED_FROM_CONFIG),
        ),
        lineage="lineage-1",
        serial=7,
    )
    results = (
        ChangeResult(key="a/new", action=Action.CREATE, status=ChangeStatus.DONE, remote_id="w1"),
        ChangeResult(
            key="b/edit",
            action=Action.UPDATE,
            status=ChangeStatus.FAILED,
            detail=f"ApiError 422: {SECRET} is not a voice",
            remote_id="w2",
        ),
        ChangeResult(
            key="c/gone",
            action=Action.DELETE,
            status=ChangeStatus.SKIPPED,
            detail="an earlier write failed",
        ),
    )
    state = lockfile().model_copy(update={"serial": 8, "workspace": "ws-1"})
    outcome = ApplyOutcome(
        plan,
        ApplyResult(results=results, state=state),
        approved=True,
        target=PlanTarget(api_url="https://api.onepin.ai", workspace="ws-1", lockfile="x.lock"),
    )
    document = apply_document(outcome, Redactor([SECRET])).model_dump(mode="json")
    _golden("apply.json", document)
    assert document["complete"] is False
    assert document["verified"] is None
    assert MASK in document["results"][1]["detail"]


def test_an_online_validate_document_golden() -> None:
    report = ValidationReport(
        valid=False,
        errors=(ValidationIssue("missing_voice", "voice", f"no voice for {SECRET}"),),
        warnings=(ValidationIssue("unreachable", None, "node qa is unreachable"),),
        blocked=(BlockedReason("quota", "monthly quota reached"),),
    )
    outcome = ValidateOutcome(
        workflows=2,
        reports={"b": ValidationReport(valid=True), "a": report},
        redactor=Redactor([SECRET]),
        variables=(Variable("TOKEN", secret=True, is_set=False),),
    )
    _golden("validate.json", validate_document(outcome).model_dump(mode="json"))


def test_the_golden_plan_document_holds_to_its_schema() -> None:
    check_document(json.loads((GOLDEN / "plan.json").read_text(encoding="utf-8")))
