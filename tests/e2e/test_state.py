"""End to end: `state list | show | mv | rm | rebuild` against the emulator over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from onepin_sync.state.statelock import StateLock
from tests.documents import check_document
from tests.e2e.support import WORKFLOWS, calls, plan_json, recorded, seed, writes
from tests.samples import tiny_workflow
from tests.sync_project import CliResult, SyncProject


def state(project: SyncProject, *args: str) -> CliResult:
    """`state SUBCOMMAND ARGS` on the project's lockfile and folder (no API options)."""
    sub, *rest = args
    where = ["--lockfile", str(project.lockfile), "--dir", str(project.workflows)]
    return project.run("state", sub, *rest, *where, target=False)


def rebuild(project: SyncProject, *args: str) -> CliResult:
    return project.run("state", "rebuild", *project.target_args(), *args, target=False)


def lock_serial(project: SyncProject) -> int:
    serial: int = json.loads(project.lockfile.read_text(encoding="utf-8"))["serial"]
    return serial


def assert_empty(plan: dict[str, Any]) -> None:
    assert plan["changes"] == [], plan["changes"]
    assert plan["refreshes"] == [], plan["refreshes"]


def test_list_and_show_print_the_lockfile_as_json_documents(project: SyncProject) -> None:
    keys = seed(project, 2)
    entries = project.lock_entries()

    listed = state(project, "list", "--json")
    assert listed.code == 0, listed.output
    doc = json.loads(listed.stdout)
    check_document(doc)
    assert doc["kind"] == "onepin-sync-state-list"
    assert doc["serial"] == lock_serial(project)
    assert [(w["key"], w["id"]) for w in doc["workflows"]] == [(k, entries[k]["id"]) for k in keys]
    assert doc["pending"] == []

    shown = state(project, "show", keys[0], "--json")
    assert shown.code == 0, shown.output
    entry = json.loads(shown.stdout)
    check_document(entry)
    assert entry["kind"] == "onepin-sync-state-entry"
    assert entry["workflow"].items() >= entries[keys[0]].items()  # and the defaults it omits
    assert entry["pending"] is None

    human = state(project, "list")
    assert human.stdout.splitlines() == [
        f"{k}  {entries[k]['id']}  {entries[k]['name']}" for k in keys
    ]
    unknown = state(project, "show", "no/such-key")
    assert unknown.code == 3
    assert "no/such-key is not in" in unknown.stderr
    assert unknown.stdout == ""


def test_rm_forgets_the_key_and_leaves_the_workflow_in_onepin(
    project: SyncProject, api: httpx.Client
) -> None:
    keys = seed(project, 2)
    forgotten_id = project.lock_entries()[keys[0]]["id"]
    serial = lock_serial(project)
    project.remove(keys[0])

    with recorded(project.workspace) as sent:
        result = state(project, "rm", keys[0], "--json")
    assert result.code == 0, result.output
    assert sent == []  # a lockfile-only change: nothing reaches the API
    doc = json.loads(result.stdout)
    check_document(doc)
    assert (doc["key"], doc["workflow_id"], doc["file_left"]) == (keys[0], forgotten_id, None)
    assert keys[0] not in project.lock_entries()
    assert lock_serial(project) == serial + 1

    plan = plan_json(project)
    assert_empty(plan)  # no delete: the key is forgotten, not removed
    assert plan["summary"]["unmanaged"] == 1
    assert plan["summary"]["managed"] == 1
    assert api.get(f"{WORKFLOWS}/{forgotten_id}").status_code == 200


def test_rm_warns_when_the_file_is_still_there(project: SyncProject) -> None:
    keys = seed(project, 1)
    forgotten_id = project.lock_entries()[keys[0]]["id"]
    result = state(project, "rm", keys[0])
    assert result.code == 0, result.output
    assert "still exists: the next plan would create a second workflow" in result.stderr
    plan = plan_json(project)
    assert [c["action"] for c in plan["changes"]] == ["create"]
    assert plan["changes"][0]["duplicate_of"] == [forgotten_id]


def test_rm_of_a_workflow_holding_secrets_says_import_would_write_them(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICE_TOKEN", "tok_live_9f8e7d6c5b4a")
    document = tiny_workflow("Hotline", text="Your code is ${secret.VOICE_TOKEN}.")
    project.write("hotline", document)
    assert project.run("apply", "--auto-approve").code == 0
    project.remove("hotline")

    result = state(project, "rm", "hotline")

    assert result.code == 0, result.output
    assert "the workflow holds secret values at 1 place(s)" in result.stderr
    assert "`import` would write them into a file" in result.stderr
    assert "tok_live" not in result.output


def test_rm_fails_for_nothing_once_it_has_forgotten_the_key(project: SyncProject) -> None:
    """Where the file would be is looked at first: a path too long to look at is no file."""
    keys = seed(project, 1)
    too_long = project.root / "/".join(["d" * 200] * 25)  # longer than any path can be

    result = project.run(
        "state", "rm", keys[0], "--lockfile", str(project.lockfile), "--dir", str(too_long),
        target=False,
    )  # fmt: skip

    assert result.code == 0, result.output
    assert keys[0] not in project.lock_entries()
    assert "still exists" not in result.stderr


def test_mv_after_a_file_rename_gives_an_empty_plan_and_keeps_the_id(
    project: SyncProject,
) -> None:
    keys = seed(project, 1)
    workflow_id = project.lock_entries()[keys[0]]["id"]
    serial = lock_serial(project)
    project.path(keys[0]).rename(project.workflows / "renamed.yaml")

    with recorded(project.workspace) as sent:
        result = state(project, "mv", keys[0], "renamed", "--json")
        plan = plan_json(project)
    assert result.code == 0, result.output
    doc = json.loads(result.stdout)
    check_document(doc)
    assert (doc["key"], doc["to"], doc["workflow_id"]) == (keys[0], "renamed", workflow_id)
    assert doc["serial"] == serial + 1
    assert_empty(plan)
    assert writes(sent) == []
    assert project.lock_entries()["renamed"]["id"] == workflow_id
    assert keys[0] not in project.lock_entries()
    assert lock_serial(project) == serial + 1


def test_mv_and_rm_refuse_unknown_or_taken_keys_and_write_nothing(project: SyncProject) -> None:
    keys = seed(project, 2)
    before = project.lockfile.read_bytes()
    for args, message in [
        (("mv", "no/such", "other"), "not managed"),
        (("mv", keys[0], keys[1]), "already managed"),
        (("mv", keys[0], "bad key!"), "key 'bad key!'"),
        (("mv", keys[0], "k" * 300), "(300 characters) is too long for part of a workflow key"),
        (("mv", keys[0], "team/" + "k" * 251), "(251 characters) is too long for part of a"),
        (("rm", "no/such"), "not managed"),
        (("rm", "k" * 300), "not managed"),
    ]:
        result = state(project, *args)
        assert result.code == 3, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
    assert project.lockfile.read_bytes() == before


def test_rebuild_after_losing_the_lockfile_gives_an_empty_plan(project: SyncProject) -> None:
    keys = seed(project, 3)
    ids = {k: e["id"] for k, e in project.lock_entries().items()}
    project.lockfile.unlink()

    with recorded(project.workspace) as sent:
        result = rebuild(project, "--json")
    assert result.code == 0, result.output
    assert writes(sent) == []
    doc = json.loads(result.stdout)
    check_document(doc)
    assert {m["key"]: m["workflow_id"] for m in doc["matched"]} == ids
    assert (doc["written"], doc["unmatched"], doc["kept"]) == (True, [], 0)
    assert calls(sent).count(("GET", WORKFLOWS)) == 1  # one listing page
    assert {k: e["id"] for k, e in project.lock_entries().items()} == ids
    assert all(e["file_hash"] and e["listed_hash"] for e in project.lock_entries().values())
    assert_empty(plan_json(project))

    # A file edited since the last apply: rebuilt as not yet applied, so the plan updates it.
    project.write(keys[2], tiny_workflow(f"Bulk {keys[2][-4:]}", "Edited in git since."))
    project.lockfile.unlink()
    result = rebuild(project)
    assert f"{keys[2]}: matched workflow {ids[keys[2]]} (the file differs" in result.stdout
    plan = plan_json(project)
    assert [(c["key"], c["action"]) for c in plan["changes"]] == [(keys[2], "update")]


def test_rebuild_refuses_ambiguous_matches_and_lists_them(project: SyncProject) -> None:
    seed(project, 1)
    twin = tiny_workflow("Twin")
    project.write("team-a/twin", twin)
    project.write("team-b/twin", twin)
    applied = project.run("apply", "--auto-approve", "--allow-duplicates")
    assert applied.code == 0, applied.output
    ids = sorted(project.lock_entries()[k]["id"] for k in ("team-a/twin", "team-b/twin"))
    project.lockfile.unlink()

    result = rebuild(project)
    assert result.code == 5, result.output
    assert "ambiguous matches by name and structure" in result.stderr
    assert f"team-a/twin matches 2 workflows ({', '.join(ids)})" in result.stderr
    assert f"team-b/twin matches 2 workflows ({', '.join(ids)})" in result.stderr
    assert not project.lockfile.exists()


def test_rebuild_refuses_a_lockfile_of_another_workspace(project: SyncProject) -> None:
    seed(project, 1)
    before = project.lockfile.read_bytes()
    other = project.workspace.control.new_workspace()
    args = [a if a != project.workspace.api_key else other.api_key for a in project.target_args()]
    result = project.run("state", "rebuild", *args, target=False)
    assert result.code == 3, result.output
    assert "belongs to workspace" in result.stderr
    assert project.lockfile.read_bytes() == before


def test_state_edits_wait_for_the_state_lock(project: SyncProject) -> None:
    keys = seed(project, 1)
    before = project.lockfile.read_bytes()
    with StateLock(project.root / ".onepin-sync" / "lock"):
        held = state(project, "rm", keys[0])
    assert held.code == 4, held.output
    assert "the state lock is held by" in held.stderr
    assert project.lockfile.read_bytes() == before
