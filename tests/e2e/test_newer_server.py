"""Against a newer Onepin (the emulator's `next` profile), whatever profile the session plays: a
node type the bundled catalogue lacks is accepted once the server's catalogue was read, keys the
server adds are kept and never reverted, and an edit is exactly one update of what changed."""

from __future__ import annotations

from tests.e2e.support import recorded, writes
from tests.samples import tiny_workflow
from tests.sync_project import SyncProject


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


def test_a_new_node_type_is_known_once_the_servers_catalogue_was_read(
    project_next: SyncProject,
) -> None:
    project_next.write("loud", _with_loudness_check("Loud"))

    offline = project_next.run("validate", *_offline(project_next), target=False)
    assert offline.code == 3, offline.output
    assert "unknown node type 'validator_loudness'" in offline.stderr

    with recorded(project_next.workspace) as sent:
        applied = project_next.run(
            "apply", "--auto-approve"
        )  # reads the catalogue, then the files pass
    assert applied.code == 0, applied.output
    assert "Apply complete: 1 created, 0 updated, 0 deleted." in applied.stdout
    assert [r.path for r in writes(sent)] == ["/api/v1/workflows"]

    cached = project_next.run(
        "validate", *_offline(project_next), target=False
    )  # the cache, no request
    assert cached.code == 0, cached.output
    assert project_next.run("plan", "--detailed-exitcode").code == 0


def test_keys_a_newer_server_adds_are_kept_and_an_edit_patches_only_what_changed(
    project_next: SyncProject,
) -> None:
    project_next.write("greeting", tiny_workflow("Greeting"))
    assert project_next.run("apply", "--auto-approve").code == 0
    assert project_next.run("plan", "--detailed-exitcode").code == 0  # no perpetual diff
    project_next.write(
        "greeting", {**project_next.read("greeting"), "description": "Edited in git."}
    )

    planned = project_next.run("plan")
    with recorded(project_next.workspace) as sent:
        applied = project_next.run("apply", "--auto-approve")

    assert "Plan: 0 to create, 1 to update, 0 to delete." in planned.stdout
    assert "(added by the server, kept as it is: " in planned.stdout
    assert "definition.layout_version" in planned.stdout
    assert applied.code == 0, applied.output
    assert [(r.method, r.body_keys) for r in writes(sent)] == [("PATCH", ["description"])]
    assert project_next.run("plan", "--detailed-exitcode").code == 0


def test_a_new_node_type_is_known_from_the_served_catalogue_even_when_it_cannot_be_cached(
    project_next: SyncProject,
) -> None:
    """A read-only checkout: the catalogue the server just served checks the files itself."""
    project_next.write("loud", _with_loudness_check("Loud"))
    (project_next.root / ".onepin-sync").write_text("not a folder\n", encoding="utf-8")

    planned = project_next.run("plan", "--detailed-exitcode")

    assert planned.code == 2, planned.output
    assert "Plan: 1 to create, 0 to update, 0 to delete." in planned.stdout
    assert "Warning: the node catalogue could not be cached (" in planned.stderr


def test_an_apply_whose_read_back_failed_leaves_no_false_conflict_on_a_server_that_migrates_reads(
    project_next: SyncProject,
) -> None:
    """This server answers a write with the definition as stored and migrates it on read. When
    the verification listing fails, the lockfile keeps the write answer's spelling; the next read
    spells the same, unwritten workflow otherwise, which is no one's change."""
    project_next.write("greeting", tiny_workflow("Greeting"))
    project_next.workspace.add_fault(
        kind="status", status=503, retry_after=0, method="GET", path="^/api/v1/workflows$",
        nth=2, times=0,
    )  # fmt: skip
    unverified = project_next.run("apply", "--auto-approve")
    assert unverified.code == 0, unverified.output
    assert "not verified" in unverified.stderr
    project_next.workspace.control.clear_faults()
    project_next.write(
        "greeting", {**project_next.read("greeting"), "description": "Edited in git."}
    )

    planned = project_next.run("plan")
    applied = project_next.run("apply", "--auto-approve")

    assert "# greeting will be updated in place (changed in git)" in planned.stdout
    assert applied.code == 0, applied.output
    assert project_next.run("plan", "--detailed-exitcode").code == 0
