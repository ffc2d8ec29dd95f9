"""Writes, single reads, validate, and matching a listing to what an ambiguous create made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from onepin_sync.api.client import BlockedReason, ValidationIssue, ValidationReport
from onepin_sync.core.matching import created_by
from onepin_sync.core.models import WorkflowSpec
from onepin_sync.core.transitions import pending_create
from onepin_sync.errors import NotFoundError
from tests.api.fakes import (
    WORKFLOWS,
    FakeWorkspace,
    Harness,
    ScriptedServer,
    body_of,
    fail,
    ok,
    target_of,
    workflow_item,
)

DEFINITION: dict[str, Any] = {
    "graph": {
        "nodes": [
            {"id": "src", "type": "source_script", "position": {"x": 0, "y": 100}},
            {
                "id": "check",
                "type": "validator_naturalness",
                "position": {"x": 250, "y": 100},
                "config": {"threshold": 90},
            },
        ],
        "edges": [
            {
                "id": "e1",
                "source": "src",
                "sourcePort": "lines",
                "target": "check",
                "targetPort": "lines",
            }
        ],
    },
    "execution": {"steps": ["src", "check"]},
}
SPEC = WorkflowSpec(name="welcome call", description=None, definition=DEFINITION)
WID = workflow_item(7)["id"]


@pytest.mark.parametrize("status", [200, 201])
def test_create_posts_name_description_and_definition(status: int) -> None:
    server = ScriptedServer(ok(workflow_item(7, name="welcome call"), status=status))
    created = Harness(server).run(lambda c: c.create_workflow(SPEC))
    [request] = server.requests
    assert (request.method, target_of(request)) == ("POST", WORKFLOWS)
    assert request.headers["content-type"] == "application/json"
    assert body_of(request) == {
        "name": "welcome call",
        "description": None,
        "definition": DEFINITION,
    }
    assert (created.id, created.name) == (WID, "welcome call")


def test_patch_sends_exactly_the_given_fields() -> None:
    server = ScriptedServer(ok(workflow_item(7)))
    Harness(server).run(lambda c: c.patch_workflow(WID, {"description": None}))
    [request] = server.requests
    assert (request.method, target_of(request)) == ("PATCH", f"{WORKFLOWS}/{WID}")
    assert body_of(request) == {"description": None}


def test_patch_of_a_deleted_workflow_is_not_found() -> None:
    server = ScriptedServer(fail(404, "NOT_FOUND", "Workflow not found"))
    with pytest.raises(NotFoundError):
        Harness(server).run(lambda c: c.patch_workflow(WID, {"name": "n"}))


@pytest.mark.parametrize(
    ("replies", "deleted"),
    [
        pytest.param([ok({"deleted": True})], True, id="deleted"),
        pytest.param([httpx.Response(204)], True, id="no-content"),
        pytest.param([fail(404, "NOT_FOUND")], False, id="already-gone"),
        pytest.param(
            [httpx.ReadTimeout("timed out"), fail(404, "NOT_FOUND")],
            False,
            id="retried-after-timeout-then-gone",
        ),
    ],
)
def test_delete(replies: list[httpx.Response | Exception], deleted: bool) -> None:
    server = ScriptedServer(*replies)
    assert Harness(server).run(lambda c: c.delete_workflow(WID)) is deleted
    assert {(r.method, target_of(r)) for r in server.requests} == {("DELETE", f"{WORKFLOWS}/{WID}")}


def test_get_returns_the_workflow_or_none_when_gone() -> None:
    server = ScriptedServer(ok(workflow_item(7)), fail(404, "NOT_FOUND"))
    found = Harness(server).run(lambda c: c.get_workflow(WID))
    assert found is not None
    assert found.id == WID
    assert Harness(server).run(lambda c: c.get_workflow(WID)) is None


def test_workflow_ids_are_escaped_into_one_path_segment() -> None:
    server = ScriptedServer(ok(workflow_item(7)))
    Harness(server).run(lambda c: c.get_workflow("../a/b?c"))
    assert target_of(server.requests[0]) == f"{WORKFLOWS}/..%2Fa%2Fb%3Fc"


def test_validate_definition_reports_errors_warnings_and_blocked() -> None:
    data = {
        "valid": False,
        "summary": {"nodes": 2},
        "errors": [
            {"rule": "incompatible_ports", "node_id": "check", "node_name": "C", "message": "bad"}
        ],
        "warnings": [{"rule": "cycle", "message": "loops"}],
        "blocked": [{"code": "FORBIDDEN", "message": "plan does not include validators"}],
    }
    server = ScriptedServer(ok(data))
    report = Harness(server).run(lambda c: c.validate_definition(DEFINITION))
    assert report == ValidationReport(
        valid=False,
        errors=(ValidationIssue("incompatible_ports", "check", "bad"),),
        warnings=(ValidationIssue("cycle", None, "loops"),),
        blocked=(BlockedReason("FORBIDDEN", "plan does not include validators"),),
    )
    [request] = server.requests
    assert (request.method, target_of(request)) == ("POST", f"{WORKFLOWS}/validate")
    assert body_of(request) == {"definition": DEFINITION}


def test_validate_definition_with_only_the_required_fields() -> None:
    server = ScriptedServer(ok({"valid": True, "summary": {}, "errors": None}))
    report = Harness(server).run(lambda c: c.validate_definition(DEFINITION))
    assert report == ValidationReport(valid=True)


# --- matching an unanswered create to the listing ------------------------------------------------

SINCE = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
SALT = "salt"


def _as_served(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition as the server reads it back: config_version and defaults added, positions
    as floats."""
    nodes = []
    for node in definition["graph"]["nodes"]:
        served = {**node, "position": {k: float(v) for k, v in node["position"].items()}}
        served["config_version"] = 2
        if node["type"] == "validator_naturalness":
            served["config"] = {"threshold": 90, "max_retries": 2}
        else:
            served["config"] = {"source_language": "en-us"}
        nodes.append(served)
    return {**definition, "graph": {**definition["graph"], "nodes": nodes}}


def _at(delta_seconds: float) -> str:
    return (SINCE + timedelta(seconds=delta_seconds)).isoformat().replace("+00:00", "Z")


def _find(items: list[dict[str, Any]], exclude: frozenset[str] = frozenset()) -> str | None:
    workspace = FakeWorkspace()
    workspace.workflows = items
    listed = Harness(workspace).run(lambda c: c.list_workflows())
    pending = pending_create(SPEC, "sha256:applied", SALT, False, sent_at=SINCE)
    found = created_by(pending, listed, salt=SALT, claimed=exclude)
    return None if found is None else found.id


SERVED = _as_served(DEFINITION)


def test_find_created_recognises_the_migrated_read_back() -> None:
    items = [workflow_item(1, name="welcome call", definition=SERVED, created_at=_at(0.5))]
    assert _find(items) == items[0]["id"]


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(
            workflow_item(1, name="welcome call!", definition=SERVED, created_at=_at(1)),
            id="other-name",
        ),
        pytest.param(
            workflow_item(1, name="Welcome call", definition=SERVED, created_at=_at(1)),
            id="name-differs-in-case",
        ),
        pytest.param(
            workflow_item(
                1,
                name="welcome call",
                definition={"graph": {**SERVED["graph"], "edges": []}},
                created_at=_at(1),
            ),
            id="other-structure",
        ),
        pytest.param(
            workflow_item(1, name="welcome call", definition=SERVED, created_at=_at(-3.5)),
            id="created-before-the-request",
        ),
    ],
)
def test_find_created_ignores_near_misses(item: dict[str, Any]) -> None:
    assert _find([item]) is None


def test_find_created_allows_three_seconds_of_clock_skew() -> None:
    items = [workflow_item(1, name="welcome call", definition=SERVED, created_at=_at(-2.9))]
    assert _find(items) == items[0]["id"]


def test_find_created_survives_server_defaults_and_keys_it_does_not_know() -> None:
    """A newer server adds config defaults and keys the catalogue lacks: still the same shape."""
    nodes = [
        {**n, "config": {**n["config"], "new_default": 1}, "ui": {}}
        for n in SERVED["graph"]["nodes"]
    ]
    rewritten = {**SERVED, "graph": {**SERVED["graph"], "nodes": nodes}, "layout_version": 2}
    items = [workflow_item(1, name="welcome call", definition=rewritten, created_at=_at(1))]
    assert _find(items) == items[0]["id"]


def test_find_created_skips_managed_ids_and_prefers_the_newest() -> None:
    older = workflow_item(1, name="welcome call", definition=SERVED, created_at=_at(1))
    newer = workflow_item(2, name="welcome call", definition=SERVED, created_at=_at(3))
    managed = workflow_item(3, name="welcome call", definition=SERVED, created_at=_at(5))
    assert _find([older, newer, managed], exclude=frozenset({managed["id"]})) == newer["id"]


def test_find_created_in_an_empty_workspace() -> None:
    assert _find([]) is None
