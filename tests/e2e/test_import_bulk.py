"""`import --all` and `list`: adopting a workspace that already has workflows, as a plan."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import PROFILE
from tests.e2e.support import RUN_START, WORKFLOWS, calls, first_calls, recorded, writes
from tests.sync_project import SyncProject

DEFINITION = {
    "graph": {
        "nodes": [
            {"id": "script", "type": "source_script", "position": {"x": 0, "y": 0},
             "config": {"script_text": "Hi.\nBye.\n"}},
            {"id": "out", "type": "sink_preview", "position": {"x": 280, "y": 0}},
        ],
        "edges": [{"id": "e1", "source": "script", "sourcePort": "lines",
                   "target": "out", "targetPort": "lines"}],
    }
}  # fmt: skip


def _create(project: SyncProject, name: str, description: str = "made in the app") -> str:
    ws = project.workspace
    body = {"name": name, "description": description, "definition": DEFINITION}
    response = httpx.post(f"{ws.base_url}{WORKFLOWS}", json=body, headers=ws.headers)
    response.raise_for_status()
    workflow_id: str = response.json()["data"]["id"]
    return workflow_id


def test_fifty_workflows_imported_in_bulk_then_the_plan_is_empty(project: SyncProject) -> None:
    ids = {_create(project, f"Campaign {i:02d}") for i in range(50)}

    listed = project.run("list", "--unmanaged", "--json")
    assert listed.code == 0, listed.output
    document: dict[str, Any] = json.loads(listed.stdout)
    assert (document["format_version"], document["kind"]) == (1, "onepin-sync-list")
    assert listed.stderr == ""
    assert {w["id"] for w in document["workflows"]} == ids
    assert document["workflows"][0]["import_key"] == "campaign-00"

    with recorded(project.workspace) as sent:
        imported = project.run("import", "--all", "--auto-approve")

    assert imported.code == 0, imported.output
    assert "campaign-00 will be imported into a new workflow file" in imported.stdout
    assert "Plan: 50 to import" in imported.stdout
    assert "Import complete: 50 workflow(s)." in imported.stdout
    assert calls(sent) == first_calls(sent, 1)  # whoami, catalogue, one listing page: no write
    assert len(project.lock_entries()) == 50
    assert project.path("campaign-49").exists()
    assert project.run("validate").code == 0

    with recorded(project.workspace) as sent:
        plan = project.run("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.output
    assert "No changes." in plan.stdout
    assert "refreshed entries" not in plan.stdout  # each file and spelling recorded by import
    assert all(e["file_hash"] and e["listed_hash"] for e in project.lock_entries().values())
    assert len(sent) == len(RUN_START) + 1  # exactly a no-change plan's requests
    assert json.loads(project.run("list", "--unmanaged", "--json").stdout)["workflows"] == []


def test_keys_taken_or_wanted_twice_are_refused_with_the_candidates(project: SyncProject) -> None:
    twin_a, twin_b = _create(project, "Twin"), _create(project, "Twin")
    _create(project, "Solo")
    project.write("solo", {"name": "Solo", "definition": DEFINITION})

    refused = project.run("import", "--all", "--auto-approve")

    assert refused.code == 3
    assert f"twin would be the key of 2 workflows: {twin_a} 'Twin', {twin_b} 'Twin'" in (
        refused.stderr
    ) or f"twin would be the key of 2 workflows: {twin_b} 'Twin', {twin_a} 'Twin'" in (
        refused.stderr
    )
    assert "solo already has a workflow file" in refused.stderr
    assert "--dir-template '{slug}-{id8}'" in refused.stderr
    assert project.lock_entries() == {}
    assert not project.path("twin").exists()

    templated = project.run(
        "import", "--all", "--name-glob", "tw*", "--dir-template", "app/{slug}-{id8}",
        "--auto-approve",
    )  # fmt: skip
    assert templated.code == 0, templated.output
    assert "1 unmanaged workflow in the workspace" in templated.stdout  # Solo, left as it is
    assert sorted(project.lock_entries()) == sorted(
        [f"app/twin-{twin_a[:8]}", f"app/twin-{twin_b[:8]}"]
    )


def test_search_narrows_the_listing_on_the_server(project: SyncProject) -> None:
    _create(project, "Holiday promo", "seasonal")
    _create(project, "Welcome call", "onboarding")

    with recorded(project.workspace) as sent:
        result = project.run("import", "--all", "--search", "seasonal", "--auto-approve")

    assert result.code == 0, result.output
    assert list(project.lock_entries()) == ["holiday-promo"]
    assert project.lock_entries()["holiday-promo"]["listed_hash"]  # the search's spelling
    searched = [r for r in sent if r.method == "GET" and r.path == WORKFLOWS and r.query]
    assert any("search=seasonal" in r.query for r in searched)
    assert writes(sent) == []


def test_a_search_longer_than_the_api_takes_is_refused_before_anything_is_sent(
    project: SyncProject,
) -> None:
    """The API searches for at most 100 characters (422 beyond): cut to 100, the search would
    also match workflows that only share its first 100 characters, and import them."""
    stem = "Q" * 100
    _create(project, stem + " sibling")

    with recorded(project.workspace) as sent:
        result = project.run("import", "--all", "--search", stem + " wanted", "--auto-approve")

    assert result.code == 3, result.output
    assert result.stderr.strip() == (
        "Error: --search is 107 characters long; the API searches for at most 100"
    )
    assert sent == []
    assert project.lock_entries() == {}


def test_a_saved_import_plan_is_applied_exactly_and_refused_once_stale(
    project: SyncProject,
) -> None:
    first = _create(project, "First")
    plan_file = project.root / "import.plan.json"

    saved = project.run("import", "--all", "--out", str(plan_file))
    assert saved.code == 0, saved.output
    assert "Saved the import plan" in saved.stdout
    assert project.lock_entries() == {}
    assert not project.path("first").exists()
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    assert [c["action"] for c in document["changes"]] == ["import"]

    applied = project.run("apply", str(plan_file))
    assert applied.code == 0, applied.output
    assert project.lock_entries()["first"]["id"] == first
    assert project.run("plan", "--detailed-exitcode").code == 0

    second = _create(project, "Second")
    stale_file = project.root / "second.plan.json"
    assert project.run("import", "--all", "--out", str(stale_file)).code == 0
    ws = project.workspace
    httpx.patch(
        f"{ws.base_url}{WORKFLOWS}/{second}", json={"description": "edited"}, headers=ws.headers
    ).raise_for_status()
    stale = project.run("apply", str(stale_file))
    assert stale.code == 5
    assert "changed since the plan" in stale.stderr
    assert not project.path("second").exists()


def test_import_all_needs_approval_and_list_marks_managed(project: SyncProject) -> None:
    _create(project, "Adopted")
    _create(project, "Left alone")

    unattended = project.run("import", "--all")
    assert unattended.code == 3
    assert "needs approval" in unattended.stderr
    assert project.run("import", "--all", "--name-glob", "adopt*", "--auto-approve").code == 0

    table = project.run("list")
    assert table.code == 0, table.output
    lines = table.stdout.splitlines()
    assert any("Adopted" in line and "managed" in line and "adopted" in line for line in lines)
    assert any("Left alone" in line and "unmanaged" in line for line in lines)
    assert "left-alone (on import)" in table.stdout


@pytest.mark.skipif(PROFILE == "next", reason="this server trims names: every name imports")
def test_a_workflow_no_file_can_hold_is_refused_before_the_plan_and_can_be_left_out(
    project: SyncProject,
) -> None:
    padded = _create(project, " Padded ")  # stored as sent; a file's name may not be padded
    _create(project, "Fine one")
    plan_file = project.root / "import.plan.json"

    for command in (("--auto-approve",), ("--out", str(plan_file))):
        refused = project.run("import", "--all", *command)
        assert refused.code == 3, refused.output
        assert f"workflow {padded} ' Padded ' as padded (" in refused.stderr
        assert "must not start or end with whitespace" in refused.stderr
        assert "leave it out (--exclude padded) to import the others" in refused.stderr
        assert "will be imported" not in refused.stdout  # refused before the plan is shown
        assert not plan_file.exists()
        assert project.lock_entries() == {}
        assert not project.path("fine-one").exists()

    others = project.run("import", "--all", "--auto-approve", "--exclude", "padded")
    assert others.code == 0, others.output
    assert list(project.lock_entries()) == ["fine-one"]
    assert project.run("plan", "--detailed-exitcode").code == 0
