"""Against a newer Onepin (the emulator's `next` profile), whatever profile the session plays: a
node type the bundled catalogue lacks is accepted once the server's catalogue was read, keys the
server adds are kept and never reverted, and an edit is exactly one update of what changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepin_sync.emulator.control import EmulatorWorkspace
from tests.e2e.support import recorded, writes
from tests.samples import tiny_workflow
from tests.sync_project import SyncProject


@pytest.fixture
def newer(
    workspace_next: EmulatorWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SyncProject:
    for name in ("ONEPIN_API_KEY", "ONEPIN_BASE_URL", "ONEPIN_WORKSPACE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    return SyncProject(tmp_path / "project", workspace_next)


def _with_loudness_check(name: str) -> dict[str, object]:
    """A workflow with `validator_loudness`, a node type only the newer server knows."""
    doc = tiny_workflow(name)
    graph = doc["definition"]["graph"]  # type: ignore[index]
    graph["nodes"].insert(
        1, {"id": "loud", "type": "validator_loudness", "position": {"x": 140, "y": 0}}
    )
    graph["edges"] = [_edge("e1", "script", "lines", "loud"), _edge("e2", "loud", "pass", "out")]
    return doc


def _edge(edge_id: str, source: str, port: str, target: str) -> dict[str, str]:
    return {"id": edge_id, "source": source, "sourcePort": port, "target": target,
            "targetPort": "lines"}  # fmt: skip


def _offline(project: SyncProject) -> list[str]:
    """Offline: the target's URL (to find its cached catalogue), and no key."""
    paths = ["--dir", str(project.workflows), "--lockfile", str(project.lockfile)]
    return [*paths, "--base-url", project.workspace.base_url]


def test_a_new_node_type_is_known_once_the_servers_catalogue_was_read(newer: SyncProject) -> None:
    newer.write("loud", _with_loudness_check("Loud"))

    offline = newer.run("validate", *_offline(newer), target=False)
    assert offline.code == 3, offline.output
    assert "unknown node type 'validator_loudness'" in offline.stderr

    with recorded(newer.workspace) as sent:
        applied = newer.run("apply", "--auto-approve")  # reads the catalogue, then the files pass
    assert applied.code == 0, applied.output
    assert "Apply complete: 1 created, 0 updated, 0 deleted." in applied.stdout
    assert [r.path for r in writes(sent)] == ["/api/v1/workflows"]

    cached = newer.run("validate", *_offline(newer), target=False)  # the cache, no request
    assert cached.code == 0, cached.output
    assert newer.run("plan", "--detailed-exitcode").code == 0


def test_keys_a_newer_server_adds_are_kept_and_an_edit_patches_only_what_changed(
    newer: SyncProject,
) -> None:
    newer.write("greeting", tiny_workflow("Greeting"))
    assert newer.run("apply", "--auto-approve").code == 0
    assert newer.run("plan", "--detailed-exitcode").code == 0  # no perpetual diff
    newer.write("greeting", {**newer.read("greeting"), "description": "Edited in git."})

    planned = newer.run("plan")
    with recorded(newer.workspace) as sent:
        applied = newer.run("apply", "--auto-approve")

    assert "Plan: 0 to create, 1 to update, 0 to delete." in planned.stdout
    assert "(added by the server, kept as it is: " in planned.stdout
    assert "definition.layout_version" in planned.stdout
    assert applied.code == 0, applied.output
    assert [(r.method, r.body_keys) for r in writes(sent)] == [("PATCH", ["description"])]
    assert newer.run("plan", "--detailed-exitcode").code == 0
