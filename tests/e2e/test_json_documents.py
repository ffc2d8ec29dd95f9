"""`--json` on every command: one versioned document on stdout and nothing else (the human
lines go to stderr), valid against the schema shipped in the package."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.documents import check_document
from tests.e2e.support import without_voices
from tests.samples import tiny_workflow
from tests.sync_project import CliResult, SyncProject


def _document(result: CliResult, kind: str) -> dict[str, Any]:
    """The one document `result` printed on stdout, checked against its schema."""
    document: dict[str, Any] = json.loads(result.stdout)  # the whole of stdout, nothing else
    assert document["kind"] == kind
    check_document(document)
    return document


def test_every_sync_command_prints_one_document_and_the_rest_on_stderr(
    project: SyncProject,
) -> None:
    project.write("alpha", tiny_workflow("Alpha"))
    project.write("bravo", tiny_workflow("Bravo"))

    validated = project.run("validate", "--json")
    applied = project.run("apply", "--auto-approve", "--json")
    planned = project.run("plan", "--json")

    assert validated.code == 0, validated.output
    assert _document(validated, "onepin-sync-validate")["workflows"] == 2
    assert "Success: 2 workflow files valid." in validated.stderr
    assert applied.code == 0, applied.output
    doc = _document(applied, "onepin-sync-apply")
    assert (doc["complete"], doc["verified"], doc["serial"]) == (True, True, 1)
    assert doc["counts"]["created"] == 2
    assert [(r["key"], r["status"]) for r in doc["results"]] == [
        ("alpha", "done"),
        ("bravo", "done"),
    ]
    assert doc["target"]["workspace"] == project.workspace.workspace_id
    assert "Apply complete: 2 created, 0 updated, 0 deleted." in applied.stderr
    assert "alpha: created" in applied.stderr  # the per-workflow record, on stderr
    assert planned.code == 0, planned.output
    assert _document(planned, "onepin-sync-plan")["changes"] == []


def test_pull_and_import_print_their_documents(project: SyncProject) -> None:
    project.write("alpha", tiny_workflow("Alpha"))
    assert project.run("apply", "--auto-approve").code == 0, "seed"
    ws = project.workspace
    workflow_id = project.lock_entries()["alpha"]["id"]
    url = f"{ws.base_url}/api/v1/workflows"
    edit = httpx.patch(f"{url}/{workflow_id}", json={"description": "web"}, headers=ws.headers)
    edit.raise_for_status()
    body = {**tiny_workflow("Made in the app"), "description": "app"}
    made = httpx.post(url, json=body, headers=ws.headers).raise_for_status().json()["data"]["id"]

    pulled = project.run("pull", "--json")
    imported = project.run("import", made, "--key", "app/made", "--json")

    assert pulled.code == 0, pulled.output
    doc = _document(pulled, "onepin-sync-pull")
    assert (doc["dry_run"], doc["written"]) == (False, [str(project.path("alpha"))])
    assert imported.code == 0, imported.output
    doc = _document(imported, "onepin-sync-import")
    assert (doc["approved"], doc["saved_to"]) == (True, None)
    assert doc["imported"] == [
        {"key": "app/made", "workflow_id": made, "written": str(project.path("app/made"))}
    ]
    assert "Imported" in imported.stderr


def test_a_failing_command_prints_no_document(project: SyncProject) -> None:
    (project.workflows / "bad.yaml").write_text("name: [unclosed\n", encoding="utf-8")

    validated = project.run("validate", "--json")

    assert validated.code == 3
    assert validated.stdout == ""
    assert "bad.yaml" in validated.stderr


def test_validate_online_prints_its_document_also_when_the_api_finds_errors(
    project: SyncProject,
) -> None:
    """The API's findings are the result a script reads: errors and warnings per workflow, by
    rule and node. (Files that are not valid offline are no result: no document, as above.)"""
    project.copy_examples()
    key = without_voices(project)

    checked = project.run("validate", "--online", "--json")

    assert checked.code == 3, checked.output
    document = _document(checked, "onepin-sync-validate")
    assert (document["valid"], document["online"], document["workflows"]) == (False, True, 4)
    [invalid] = [r for r in document["reports"] if not r["valid"]]
    assert invalid["key"] == key
    assert [(e["rule"], e["node_id"]) for e in invalid["errors"]] == [("missing_voice", "voice")]
    assert checked.stderr.endswith("Error: 1 of 4 workflows are invalid.\n")
