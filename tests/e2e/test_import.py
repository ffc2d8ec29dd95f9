"""`import`: adopting workflows made in the Onepin app before onepin-sync managed them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.support import RUN_START, WORKFLOWS, calls, recorded
from tests.sync_project import SyncProject, run_cli

DEFINITION = {
    "graph": {
        "nodes": [
            {"id": "script", "type": "source_script", "position": {"x": 0, "y": 0},
             "config": {"script_text": "Line one.\nLine two.\n"}},
            {"id": "out", "type": "sink_preview", "position": {"x": 280.5, "y": 0}},
        ],
        "edges": [{"id": "e1", "source": "script", "sourcePort": "lines",
                   "target": "out", "targetPort": "lines"}],
    }
}  # fmt: skip


def _create_remote(project: SyncProject, name: str) -> dict[str, Any]:
    body = {"name": name, "description": "made in the web app", "definition": DEFINITION}
    ws = project.workspace
    response = httpx.post(f"{ws.base_url}/api/v1/workflows", json=body, headers=ws.headers)
    response.raise_for_status()
    created: dict[str, Any] = response.json()["data"]
    return created


def test_import_writes_the_file_and_the_next_plan_is_empty(project: SyncProject) -> None:
    remote = _create_remote(project, "Holiday greeting (2026)")

    result = project.run("import", remote["id"])

    assert result.code == 0, result.output
    path = project.path("holiday-greeting-2026")
    assert path.exists()
    assert f"Imported {remote['id']} as holiday-greeting-2026" in result.stdout
    assert "config_version" not in path.read_text(encoding="utf-8")
    assert project.lock_entries()["holiday-greeting-2026"]["id"] == remote["id"]
    plan = project.run("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.output
    assert "No changes." in plan.stdout


def test_an_imported_file_points_at_the_project_schema_when_the_project_has_one(
    project: SyncProject,
) -> None:
    remote = _create_remote(project, "Holiday")
    schema = project.root / "schemas" / "workflow.schema.json"
    schema.parent.mkdir()
    schema.write_text(run_cli(["schema"]).stdout, encoding="utf-8")

    result = project.run("import", remote["id"], "--key", "seasonal/holiday")

    assert result.code == 0, result.output
    lines = project.path("seasonal/holiday").read_text(encoding="utf-8").splitlines()
    assert lines[:2] == [
        "# yaml-language-server: $schema=../../schemas/workflow.schema.json",
        f"# Imported from Onepin workflow {remote['id']} by `onepin-sync import`.",
    ]


def test_import_into_an_existing_file_plans_the_difference(project: SyncProject) -> None:
    remote = _create_remote(project, "Promo")
    project.write(
        "marketing/promo",
        {
            "name": "Promo (reviewed)",
            "description": "made in the web app",
            "definition": DEFINITION,
        },
    )

    result = project.run("import", remote["id"], "--key", "marketing/promo")
    assert result.code == 0, result.output
    plan = project.run("plan", "--json")
    assert plan.code == 0, plan.output
    assert '"patch_fields": [\n        "name"\n      ]' in plan.stdout

    before = len(project.workspace.requests())
    applied = project.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    assert "1 updated" in applied.stdout
    sent = [r.method for r in project.workspace.requests()[before:]]
    # whoami, the node catalogue and the plan listing, the one write, the verification listing
    assert sent == ["GET", "GET", "GET", "PATCH", "GET"]


def test_import_refuses_unknown_managed_and_badly_named(project: SyncProject) -> None:
    remote = _create_remote(project, "Once")
    assert project.run("import", remote["id"]).code == 0

    again = project.run("import", remote["id"], "--key", "other")
    assert again.code == 3
    assert "already managed as once" in again.stderr
    capitals = project.run("import", remote["id"].upper(), "--key", "other")
    assert capitals.code == 3, capitals.output  # the same id, however it is typed
    assert "already managed as once" in capitals.stderr

    missing = project.run("import", "00000000-0000-4000-8000-00000000ffff")
    assert missing.code == 3
    assert "no workflow 00000000-0000-4000-8000-00000000ffff" in missing.stderr

    bad = project.run("import", remote["id"], "--key", "../escape")
    assert bad.code == 3
    assert "key '../escape'" in bad.stderr

    with recorded(project.workspace) as sent:
        typo = project.run("import", "1234")
    assert typo.code == 3
    assert typo.stderr == (
        "Error: '1234' is not a workflow id: ids are UUIDs, as `onepin-sync list` shows them\n"
    )
    assert sent == []


@pytest.mark.parametrize(
    "options",
    [
        ("--key", "k" * 300),
        ("--key", "team/" + "k" * 251),
        ("--dir-template", "{slug}-" + "k" * 250),
    ],
    ids=["a key", "a part of a key", "a template"],
)
def test_import_refuses_a_key_no_file_name_can_hold_and_writes_nothing(
    project: SyncProject, options: tuple[str, str]
) -> None:
    remote = _create_remote(project, "Long")

    result = project.run("import", remote["id"], *options)

    assert result.code == 3, result.output
    assert result.stderr.count("\n") == 1
    assert "characters) is too long for part of a workflow key: at most 250" in result.stderr
    assert not project.lockfile.exists()
    assert list(project.workflows.iterdir()) == []


def test_import_to_a_path_no_file_can_have_is_refused_and_writes_nothing(
    project: SyncProject,
) -> None:
    remote = _create_remote(project, "Deep")
    (project.workflows / "taken").write_text("a file, not a folder\n", encoding="utf-8")
    deep = "/".join(["d" * 200] * 25)  # every part a file name, the whole longer than a path

    too_long = project.run("import", remote["id"], "--key", deep)
    under_a_file = project.run("import", remote["id"], "--key", "taken/deep")

    assert too_long.code == 3, too_long.output
    assert too_long.stderr == (
        f"Error: cannot import as '{deep[:59]}…': its file's path: File name too long; nothing "
        "was written\n"
    )
    assert under_a_file.code == 3, under_a_file.output
    assert under_a_file.stderr.startswith(f"Error: cannot write {project.path('taken/deep')} (")
    assert under_a_file.stderr.endswith("); nothing was written\n")
    assert not project.lockfile.exists()
    assert sorted(p.name for p in project.workflows.iterdir()) == ["taken"]


def test_import_takes_several_ids_and_a_key_only_for_one(project: SyncProject) -> None:
    first, second = _create_remote(project, "First"), _create_remote(project, "Second")

    both_with_key = project.run("import", first["id"], second["id"], "--key", "x")
    assert both_with_key.code == 3
    assert "--key names the key of one workflow" in both_with_key.stderr
    with recorded(project.workspace) as sent:
        both = project.run("import", first["id"], second["id"])

    assert both.code == 0, both.output
    assert sorted(calls(sent)) == sorted(
        [*RUN_START, ("GET", f"{WORKFLOWS}/{first['id']}"), ("GET", f"{WORKFLOWS}/{second['id']}")]
    )  # no listing, no write
    assert sorted(project.lock_entries()) == ["first", "second"]
    assert project.path("first").exists()
    assert project.path("second").exists()
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_an_imported_file_keeps_extra_keys_and_an_update_sends_them_back(
    project: SyncProject,
) -> None:
    extras = {
        **DEFINITION,
        "labels": ["made-in-app"],
        "graph": {
            **DEFINITION["graph"],
            "nodes": [
                {**DEFINITION["graph"]["nodes"][0], "note": "kept"},
                *DEFINITION["graph"]["nodes"][1:],
            ],
        },
    }
    ws = project.workspace
    body = {"name": "With extras", "definition": extras}
    response = httpx.post(f"{ws.base_url}/api/v1/workflows", json=body, headers=ws.headers)
    response.raise_for_status()
    workflow_id = response.json()["data"]["id"]

    assert project.run("import", workflow_id).code == 0
    text = project.path("with-extras").read_text(encoding="utf-8")
    assert "labels:" in text
    assert "note: kept" in text
    assert project.run("validate").code == 0
    assert project.run("plan", "--detailed-exitcode").code == 0

    project.path("with-extras").write_text(
        text.replace("Line one.", "Line one, edited."), encoding="utf-8"
    )
    applied = project.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    stored = httpx.get(f"{ws.base_url}/api/v1/workflows/{workflow_id}", headers=ws.headers)
    definition = stored.json()["data"]["definition"]
    assert definition["labels"] == ["made-in-app"]
    assert definition["graph"]["nodes"][0]["note"] == "kept"
    assert "edited" in definition["graph"]["nodes"][0]["config"]["script_text"]
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_text_that_looks_like_a_placeholder_is_imported_literally(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workspace's `${…}` is text, never a placeholder: the file writes it as `$${`, so
    no environment value or secret can take its place, now or at a later apply."""
    monkeypatch.setenv("GREETING", "Hello there")
    monkeypatch.setenv("VOICE_TOKEN", "tok-1")
    script = "Dear ${secret.VOICE_TOKEN}, ${env.GREETING} and $${kept} and ${nothing"
    node = {**DEFINITION["graph"]["nodes"][0], "config": {"script_text": script}}
    definition = {"graph": {"nodes": [node], "edges": []}}
    ws = project.workspace
    body = {"name": "Costs ${env.GREETING}", "definition": definition}
    created = httpx.post(f"{ws.base_url}/api/v1/workflows", json=body, headers=ws.headers)
    remote = created.raise_for_status().json()["data"]

    result = project.run("import", remote["id"], "--key", "costs")

    assert result.code == 0, result.output
    text = project.path("costs").read_text(encoding="utf-8")
    assert "name: Costs $${env.GREETING}" in text
    assert "Dear $${secret.VOICE_TOKEN}, $${env.GREETING} and $$${kept} and $${nothing" in text
    assert "variables" not in project.lock_entries()["costs"]  # the file names none
    monkeypatch.setenv("GREETING", "Other")
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    assert "No changes." in applied.stdout
    assert [r for r in sent if r.method != "GET"] == []


def test_text_a_block_cannot_hold_is_imported_quoted_and_fmt_keeps_it(project: SyncProject) -> None:
    """Text pasted from Windows (`\\r\\n`) or starting with `:` or `?`, as the app stores it:
    `import` writes every one of them into a file that reads back exactly, that `fmt --check`
    accepts (the pre-commit hook), and whose next plan is empty."""
    texts = {"script_text": "Hello\r\nWorld\r\n", "voice": ":shy", "note": "?maybe"}
    node = {**DEFINITION["graph"]["nodes"][0], "config": texts}
    ws = project.workspace
    body = {"name": "Pasted", "definition": {"graph": {"nodes": [node], "edges": []}}}
    created = httpx.post(f"{ws.base_url}/api/v1/workflows", json=body, headers=ws.headers)
    remote = created.raise_for_status().json()["data"]

    result = project.run("import", remote["id"])

    assert result.code == 0, result.output
    assert 'script_text: "Hello\\r\\nWorld\\r\\n"' in project.path("pasted").read_text("utf-8")
    assert project.run("fmt", "--check").code == 0
    assert project.run("plan", "--detailed-exitcode").code == 0
