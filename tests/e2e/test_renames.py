"""Renames and forgetting over real HTTP: `moved:` and `removed:` entries of the project file,
`lifecycle.destroy: false`, and the guard on a delete + create of the same workflow."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.support import WORKFLOWS, calls, first_calls, plan_json, recorded, writes
from tests.samples import tiny_workflow
from tests.sync_project import CliResult, SyncProject


def _project_file(project: SyncProject, text: str) -> str:
    path = project.root / "onepin-sync.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _applied(project: SyncProject, *keys: str) -> dict[str, str]:
    for key in keys:
        project.write(key, tiny_workflow(f"Workflow {key}"))
    assert project.run("apply", "--auto-approve").code == 0
    return {key: entry["id"] for key, entry in project.lock_entries().items()}


def _rename(project: SyncProject, old: str, new: str) -> dict[str, Any]:
    document = project.read(old)
    project.remove(old)
    project.write(new, document)
    return document


def test_a_moved_entry_keeps_the_workflow_and_writes_nothing(project: SyncProject) -> None:
    ids = _applied(project, "old/welcome", "other")
    _rename(project, "old/welcome", "new/welcome")
    config = _project_file(project, "moved:\n  - {from: old/welcome, to: new/welcome}\n")

    plan = project.run("plan", "--config", config)
    doc = plan_json(project, "--config", config)
    markdown = project.run("plan", "--config", config, "--format", "markdown")
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve", "--config", config)

    assert plan.code == 0, plan.output
    assert "old/welcome -> new/welcome: moved (the workflow keeps its id" in plan.stdout
    assert "No changes." not in plan.stdout
    assert doc["summary"]["move"] == 1
    assert doc["changes"] == []
    [move] = doc["refreshes"]
    assert (move["key"], move["moved_from"], move["reason"]) == (
        "new/welcome",
        "old/welcome",
        "moved",
    )
    assert "- old/welcome -> new/welcome: moved" in markdown.stdout
    assert applied.code == 0, applied.output
    assert writes(sent) == []
    assert calls(sent) == first_calls(sent, 1)
    entries = project.lock_entries()
    assert sorted(entries) == ["new/welcome", "other"]
    assert entries["new/welcome"]["id"] == ids["old/welcome"]
    again = project.run("plan", "--config", config, "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes." in again.stdout


def test_a_move_with_an_edit_updates_the_same_workflow(project: SyncProject) -> None:
    ids = _applied(project, "a")
    document = _rename(project, "a", "b")
    project.write("b", {**document, "description": "Edited while renamed."})
    config = _project_file(project, "moved:\n  - {from: a, to: b}\n")

    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve", "--config", config)

    assert applied.code == 0, applied.output
    [patch] = writes(sent)
    assert (patch.method, patch.path, patch.body_keys) == (
        "PATCH", f"{WORKFLOWS}/{ids['a']}", ["description"]
    )  # fmt: skip
    assert project.lock_entries()["b"]["id"] == ids["a"]


def _refused(result: CliResult, message: str) -> None:
    assert result.code == 3, result.output
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_bad_moved_entries_are_one_line_errors_at_their_line(project: SyncProject) -> None:
    _applied(project, "a", "b")
    lock_before = project.lockfile.read_text(encoding="utf-8")
    cases = {
        "moved:\n  - {from: nope, to: a}\n  - {from: x, to: y}\n": (
            ":3:5: moved: x is not managed (not in the lockfile)"
        ),
        "moved:\n  - {from: a, to: b}\n": ":2:5: moved: b is already managed (so is a)",
        "moved:\n  - {from: a, to: c}\n  - {from: c, to: d}\n": (
            ":2:5: moved: c is moved again at "
        ),
        "moved:\n  - {from: a, to: c}\n  - {from: c, to: a}\n": ":2:5: moved: c is moved again",
    }
    with recorded(project.workspace) as sent:
        for text, message in cases.items():
            _refused(project.run("plan", "--config", _project_file(project, text)), message)
        missing = project.run("plan", "--config", _project_file(project, "moved: [{from: a}]\n"))
    assert missing.code == 3
    assert ":1:9: moved[0]: missing required field 'to'" in missing.stderr
    assert project.lockfile.read_text(encoding="utf-8") == lock_before
    assert sent == []  # refused from the files and the lockfile, before any request


def test_removed_entries_forget_the_key_and_leave_the_workflow(project: SyncProject) -> None:
    ids = _applied(project, "keep", "handed-over")
    project.remove("handed-over")
    config = _project_file(project, "removed:\n  - {key: handed-over}\n")

    plan = project.run("plan", "--config", config)
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve", "--config", config)

    assert "handed-over: forgotten (left in Onepin as it is, no longer managed)" in plan.stdout
    assert applied.code == 0, applied.output
    assert writes(sent) == []
    assert sorted(project.lock_entries()) == ["keep"]
    listed = project.run("plan", "--config", config)
    assert "1 unmanaged workflow in the workspace" in listed.stdout
    assert ids["handed-over"] in {w["id"] for w in _listing(project)}


def test_a_removed_key_whose_file_is_still_there_is_refused(project: SyncProject) -> None:
    _applied(project, "keep")
    config = _project_file(project, "environments:\n  prod:\n    removed:\n      - {key: keep}\n")
    with recorded(project.workspace) as sent:
        for command in ("plan", "apply --auto-approve"):
            result = project.run(*command.split(), "--config", config, "--env", "prod")
            _refused(result, ":4:9: removed: keep still has a workflow file")
    assert sent == []


def test_destroy_false_makes_removing_the_file_a_forget(project: SyncProject) -> None:
    project.write("kept", {**tiny_workflow("Kept"), "lifecycle": {"destroy": False}})
    ids = _applied(project)
    assert project.lock_entries()["kept"]["destroy"] is False
    project.remove("kept")

    plan = plan_json(project)
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert plan["summary"]["forget"] == 1
    assert plan["changes"] == []
    assert applied.code == 0, applied.output
    assert writes(sent) == []
    assert project.lock_entries() == {}
    assert ids["kept"] in {w["id"] for w in _listing(project)}


def test_a_rename_without_moved_entry_is_refused_unattended(project: SyncProject) -> None:
    ids = _applied(project, "before")
    _rename(project, "before", "after")

    plan = project.run("plan")
    doc = plan_json(project)
    with recorded(project.workspace) as sent:
        refused = project.run("apply", "--auto-approve")
    allowed = project.run("apply", "--auto-approve", "--allow-replace")

    assert "before and after hold the same workflow" in plan.stdout
    assert "moved:\n  - {from: before, to: after}" in plan.stdout
    assert {c["key"]: c["replaces"] for c in doc["changes"]} == {
        "after": "before",
        "before": "after",
    }
    assert refused.code == 5, refused.output
    assert "--allow-replace" in refused.stderr
    assert writes(sent) == []
    assert allowed.code == 0, allowed.output
    assert project.lock_entries()["after"]["id"] != ids["before"]


def _listing(project: SyncProject) -> list[dict[str, Any]]:
    ws = project.workspace
    response = httpx.get(f"{ws.base_url}{WORKFLOWS}", headers=ws.headers)
    response.raise_for_status()
    data: list[dict[str, Any]] = response.json()["data"]
    return data
