"""Ignore rules and targeting over real HTTP: `lifecycle.ignore_changes` silences exactly the
named paths (and positions a file omits), `--target`/`--exclude` touch only what they match."""

from __future__ import annotations

import json
from typing import Any

import httpx
from onepin import OnePinClient

from tests.e2e.support import WORKFLOWS, plan_json, recorded, writes
from tests.samples import tiny_workflow
from tests.sync_project import SyncProject

VOICE = {
    "name": "Voice",
    "description": "Speaks.",
    "lifecycle": {
        "ignore_changes": ["description", "definition.graph.nodes[voice].config.speed"]
    },
    "definition": {
        "graph": {
            "nodes": [
                {"id": "script", "type": "source_script", "position": {"x": 0, "y": 0},
                 "config": {"script_text": "Hi."}},
                {"id": "voice", "type": "operator_generator", "position": {"x": 280, "y": 0},
                 "config": {"speed": 1.0, "stability": 0.5}},
                {"id": "out", "type": "sink_preview"},
            ],
            "edges": [
                {"id": "e1", "source": "script", "sourcePort": "lines", "target": "voice",
                 "targetPort": "lines"},
                {"id": "e2", "source": "voice", "sourcePort": "lines", "target": "out",
                 "targetPort": "lines"},
            ],
        }
    },
}  # fmt: skip


def _edit_in_app(sdk: OnePinClient, wid: str, **changes: Any) -> None:
    sdk.workflows.patch_workflow(wid, **changes)


def _remote(project: SyncProject, wid: str) -> dict[str, Any]:
    ws = project.workspace
    response = httpx.get(f"{ws.base_url}{WORKFLOWS}/{wid}", headers=ws.headers)
    response.raise_for_status()
    data: dict[str, Any] = response.json()["data"]
    return data


def _node(workflow: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in workflow["definition"]["graph"]["nodes"] if n["id"] == node_id)


def test_ignored_paths_and_omitted_positions_are_not_drift(
    project: SyncProject, sdk: OnePinClient
) -> None:
    project.write("voice", VOICE)
    assert project.run("apply", "--auto-approve").code == 0
    wid = project.lock_entries()["voice"]["id"]
    remote = _remote(project, wid)
    definition = remote["definition"]
    for node in definition["graph"]["nodes"]:
        if node["id"] == "voice":
            node["config"] = {**node["config"], "speed": 1.4}
        if node["id"] == "out":
            node["position"] = {"x": 999.0, "y": 50.0}
    _edit_in_app(sdk, wid, description="Edited in the app.", definition=definition)

    plan = project.run("plan", "--detailed-exitcode")

    assert plan.code == 0, plan.output
    assert "No changes." in plan.stdout


def test_an_update_keeps_the_workspaces_values_where_ignored(
    project: SyncProject, sdk: OnePinClient
) -> None:
    project.write("voice", VOICE)
    assert project.run("apply", "--auto-approve").code == 0
    wid = project.lock_entries()["voice"]["id"]
    definition = _remote(project, wid)["definition"]
    for node in definition["graph"]["nodes"]:
        if node["id"] == "voice":
            node["config"] = {**node["config"], "speed": 1.4, "stability": 0.9}
    _edit_in_app(sdk, wid, description="Edited in the app.", definition=definition)

    plan = project.run("plan")
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    # the stability edit is drift (reverted); speed and the description are ignored
    assert "definition.graph.nodes[voice].config.stability: 0.9 -> 0.5" in plan.stdout
    assert "speed" not in plan.stdout
    assert "description" not in plan.stdout
    assert applied.code == 0, applied.output
    [patch] = writes(sent)
    assert (patch.method, patch.path, patch.body_keys) == (
        "PATCH", f"{WORKFLOWS}/{wid}", ["definition"]
    )  # fmt: skip
    after = _remote(project, wid)
    assert _node(after, "voice")["config"]["speed"] == 1.4
    assert _node(after, "voice")["config"]["stability"] == 0.5
    assert after["description"] == "Edited in the app."
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_an_unknown_ignore_path_is_an_error_at_its_line(project: SyncProject) -> None:
    document = {**VOICE, "lifecycle": {"ignore_changes": ["definition.graph.nodes[*].colour"]}}
    project.write("voice", document)
    with recorded(project.workspace) as sent:
        result = project.run("plan")
    assert result.code == 3, result.output
    assert "voice.yaml:5:5: lifecycle.ignore_changes[0]: " in result.stderr
    assert "unknown field 'colour'" in result.stderr
    assert sent == []


def test_target_and_exclude_touch_only_what_they_match(project: SyncProject) -> None:
    for key in ("team/a", "team/b", "other"):
        project.write(key, tiny_workflow(f"Workflow {key}"))
    assert project.run("apply", "--auto-approve").code == 0
    ids = {key: entry["id"] for key, entry in project.lock_entries().items()}
    for key in ("team/a", "team/b", "other"):
        project.write(key, {**project.read(key), "description": "Edited in git."})

    human = project.run("plan", "--target", "team/*", "--exclude", "team/b")
    doc = plan_json(project, "--target", "team/*", "--exclude", "team/b")
    markdown = project.run(
        "plan", "--target", "team/*", "--exclude", "team/b", "--format", "markdown"
    )
    saved = project.root / "targeted.json"
    assert project.run("plan", "--target", "other", "--out", str(saved)).code == 0
    with recorded(project.workspace) as sent_saved:
        applied_saved = project.run("apply", str(saved))
    with recorded(project.workspace) as sent:
        applied = project.run(
            "apply", "--auto-approve", "--target", "team/*", "--exclude", "team/b"
        )

    sentence = "Targeted plan (--target team/* --exclude team/b): only the matching workflows"
    assert sentence in human.stdout
    assert "Plan: 0 to create, 1 to update, 0 to delete." in human.stdout
    assert (doc["targets"], doc["excludes"]) == (["team/*"], ["team/b"])
    assert [c["key"] for c in doc["changes"]] == ["team/a"]
    assert sentence in markdown.stdout
    assert applied.code == 0, applied.output
    assert [(r.method, r.path) for r in writes(sent)] == [("PATCH", f"{WORKFLOWS}/{ids['team/a']}")]
    assert applied_saved.code == 0, applied_saved.output
    assert [(r.method, r.path) for r in writes(sent_saved)] == [
        ("PATCH", f"{WORKFLOWS}/{ids['other']}")
    ]
    assert json.loads(saved.read_text())["targets"] == ["other"]
    left = plan_json(project)
    assert [c["key"] for c in left["changes"]] == ["team/b"]


def test_a_target_that_matches_nothing_is_refused(project: SyncProject) -> None:
    project.write("only", tiny_workflow("Only"))
    with recorded(project.workspace) as sent:
        result = project.run("plan", "--target", "nope/*")
        applied = project.run("apply", "--auto-approve", "--target", "nope/*")
    for refused in (result, applied):
        assert refused.code == 3, refused.output
        assert "--target nope/* matches no workflow" in refused.stderr
    assert sent == []  # a typo is bad input: nothing is sent


def test_import_all_with_a_target_adopts_only_the_matching_keys(project: SyncProject) -> None:
    ws = project.workspace
    for name in ("Sales one", "Sales two", "Support one"):
        body = {"name": name, "definition": tiny_workflow(name)["definition"]}
        httpx.post(f"{ws.base_url}{WORKFLOWS}", json=body, headers=ws.headers).raise_for_status()

    with recorded(project.workspace) as sent:
        imported = project.run(
            "import", "--all", "--auto-approve", "--target", "sales-*", "--exclude", "sales-two"
        )

    assert imported.code == 0, imported.output
    assert "Targeted plan (--target sales-* --exclude sales-two)" in imported.stdout
    assert writes(sent) == []
    assert sorted(project.lock_entries()) == ["sales-one"]
    assert sorted(p.name for p in project.workflows.rglob("*.yaml")) == ["sales-one.yaml"]
