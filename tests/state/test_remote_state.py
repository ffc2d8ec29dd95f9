"""End to end: the state in object storage (`state: {url: s3://...}`), shared by two runners
(here, not in tests/e2e: it does not depend on the server profile, so it runs once).

Each runner is a fresh copy of the same project (its own folder, no lockfile, no `.onepin-sync`),
as two CI jobs on two clones are; they share only the state in a local S3-compatible server
(moto, see tests/s3.py) and the emulator's workspace.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from subprocess import PIPE, Popen

import httpx
import pytest

from onepin_sync.errors import ConflictError
from onepin_sync.state.lockfile import new_state
from onepin_sync.state.remote import ObjectStateStore
from tests.documents import check_document
from tests.e2e.support import WHOAMI, WORKFLOWS, recorded, writes
from tests.s3 import SECRET_KEY, S3Bucket
from tests.samples import tiny_workflow
from tests.sync_project import CliResult, SyncProject

LOCK_KEY = "team/onepin-sync.lock"
CI_ENV = {
    "GITHUB_SERVER_URL": "https://github.example",
    "GITHUB_REPOSITORY": "team/flows",
    "GITHUB_RUN_ID": "4242",
}


def runner(project: SyncProject, root: Path, bucket: S3Bucket, count: int = 2) -> SyncProject:
    """A fresh copy of the project at `root` whose state is the bucket's object."""
    copy = SyncProject(root, project.workspace)
    (root / "onepin-sync.yaml").write_text(
        f"workflows: workflows\nstate:\n  url: {bucket.url(LOCK_KEY)}\n", encoding="utf-8"
    )
    for i in range(count):
        copy.write(f"flows/wf-{i}", tiny_workflow(f"Flow {i}"))
    return copy


def argv(project: SyncProject, *args: str) -> list[str]:
    """A command's arguments for `project`, choosing the state through its project file."""
    command, *rest = args
    config = ["--config", str(project.root / "onepin-sync.yaml")]
    target = ["--base-url", project.workspace.base_url, "--api-key", project.workspace.api_key]
    local = command == "force-unlock" or (command == "state" and rest[0] != "rebuild")
    return [command, *rest, *config, *([] if local else target)]


def run(project: SyncProject, *args: str) -> CliResult:
    return project.run(*argv(project, *args), target=False)


def remote_names(api: httpx.Client) -> list[str]:
    data = api.get(WORKFLOWS, params={"limit": 100}).json()["data"]
    return sorted(w["name"] for w in data)


def test_two_runners_apply_one_after_the_other_sharing_only_the_state(
    project: SyncProject, tmp_path: Path, s3_state: S3Bucket, api: httpx.Client
) -> None:
    first = runner(project, tmp_path / "clone-1", s3_state)
    second = runner(project, tmp_path / "clone-2", s3_state)

    applied = run(first, "apply", "--auto-approve")
    assert applied.code == 0, applied.output
    assert s3_state.objects() == [LOCK_KEY]  # the lock released, no journal left
    with recorded(project.workspace) as sent:
        again = run(second, "apply", "--auto-approve")
    assert again.code == 0, again.output
    assert writes(sent) == []
    assert remote_names(api) == ["Flow 0", "Flow 1"]
    for clone in (first, second):
        assert not clone.lockfile.exists()  # nothing to commit back
    state = json.loads(s3_state.read(LOCK_KEY))
    assert state["serial"] == 1
    assert sorted(state["workflows"]) == ["flows/wf-0", "flows/wf-1"]
    listed = run(second, "state", "list", "--json")
    assert json.loads(listed.stdout)["lockfile"] == s3_state.url(LOCK_KEY)
    assert SECRET_KEY not in applied.output + again.output + listed.output


def test_two_runners_at_once_one_refused_then_one_waiting_no_duplicate(
    project: SyncProject, tmp_path: Path, s3_state: S3Bucket, api: httpx.Client
) -> None:
    first = runner(project, tmp_path / "clone-1", s3_state)
    second = runner(project, tmp_path / "clone-2", s3_state)
    # The first runner's first create takes a while: it holds the lock meanwhile.
    project.workspace.add_fault(kind="latency", seconds=2, method="POST", times=1)
    env = {**os.environ, **s3_state.env(), **CI_ENV}
    command = [sys.executable, "-m", "onepin_sync", *argv(first, "apply", "--auto-approve")]
    holder = Popen(command, env=env, stdout=PIPE, stderr=PIPE, text=True)
    try:
        wait_for(lambda: f"{LOCK_KEY}.statelock" in s3_state.objects())
        refused = run(second, "apply", "--auto-approve")
        assert refused.code == 4, refused.output
        assert "the state lock is held by" in refused.stderr
        assert "CI job https://github.example/team/flows/actions/runs/4242" in refused.stderr
        waited = run(second, "apply", "--auto-approve", "--lock-timeout", "60")
        assert waited.code == 0, waited.output
        assert "No changes" in waited.stdout
    finally:
        out, err = holder.communicate(timeout=60)
    assert holder.returncode == 0, out + err
    assert remote_names(api) == ["Flow 0", "Flow 1"]


def test_a_stale_runner_cannot_overwrite_the_state(
    project: SyncProject, tmp_path: Path, s3_state: S3Bucket, api: httpx.Client
) -> None:
    """A runner that read the state, then stalled and lost its lock (force-unlocked) while
    another applied, finds its state write refused; the next run records what it did from the
    shared journal, so the state catches up with the workspace."""
    stuck = runner(project, tmp_path / "clone-1", s3_state, count=1)
    other = runner(project, tmp_path / "clone-2", s3_state, count=1)
    assert run(other, "apply", "--auto-approve").code == 0
    stuck.write("flows/wf-0", tiny_workflow("Flow 0", "Edited on the stuck runner's branch."))
    other.write("flows/extra", tiny_workflow("Extra"))
    project.workspace.add_fault(
        kind="latency", seconds=3, method="GET", path="^/api/v1/workflows$", times=1
    )
    env = {**os.environ, **s3_state.env()}
    command = [sys.executable, "-m", "onepin_sync", *argv(stuck, "apply", "--auto-approve")]
    holder = Popen(command, env=env, stdout=PIPE, stderr=PIPE, text=True)
    try:
        # it holds the lock, has read the state, and waits for its listing
        wait_for(lambda: any(r.path == WHOAMI for r in project.workspace.requests()[-3:]))
        lock_id = json.loads(s3_state.read(f"{LOCK_KEY}.statelock"))["id"]
        assert run(other, "force-unlock", lock_id).code == 0
        applied = run(other, "apply", "--auto-approve")
        assert applied.code == 0, applied.output
    finally:
        out, err = holder.communicate(timeout=60)
    assert holder.returncode == 5, out + err
    assert "the state is at serial 2 now, written by another run since this run read it" in err
    assert "Run plan again" in err

    assert json.loads(s3_state.read(LOCK_KEY))["serial"] == 2  # the stale write did not land
    # Its update did reach Onepin: the shared journal says so, and the next run accounts for it;
    # its branch still lacks the other's new file, which a plan from it would delete.
    settled = run(stuck, "plan", "--json")
    assert settled.code == 0, settled.output
    assert "flows/wf-0: update had completed; recorded" in settled.stderr
    changes = [(c["key"], c["action"]) for c in json.loads(settled.stdout)["changes"]]
    assert changes == [("flows/extra", "delete")]
    assert remote_names(api) == ["Extra", "Flow 0"]


def test_the_store_refuses_a_write_from_a_stale_read(s3_state: S3Bucket) -> None:
    url = s3_state.url("direct/onepin-sync.lock")
    one = ObjectStateStore(url, s3_state.env())
    two = ObjectStateStore(url, s3_state.env())
    assert one.read() is None
    assert two.read() is None
    first = new_state("https://api.example", "ws_1")
    one.write(first)
    with pytest.raises(ConflictError, match="serial 0 now"):
        two.write(first.model_copy(update={"serial": 1}))  # create-only: it exists now
    assert two.read() == first
    two.write(first.model_copy(update={"serial": 1}))  # after reading it, the swap holds
    with pytest.raises(ConflictError, match="serial 1 now"):
        one.write(first.model_copy(update={"serial": 2}))  # one's ETag is stale


def test_migrate_into_object_storage_and_back_keeps_lineage_and_serial(
    project: SyncProject, s3_state: S3Bucket
) -> None:
    project.write("flows/wf-0", tiny_workflow("Flow 0"))
    assert project.run("apply", "--auto-approve").code == 0
    before = json.loads(project.lockfile.read_text(encoding="utf-8"))
    local = ["--lockfile", str(project.lockfile)]

    moved = project.run(
        "state", "migrate", "--to", s3_state.url(LOCK_KEY), "--json", *local, target=False
    )
    assert moved.code == 0, moved.output
    doc = json.loads(moved.stdout)
    check_document(doc)
    assert (doc["destination"], doc["lineage"], doc["serial"]) == (
        s3_state.url(LOCK_KEY),
        before["lineage"],
        before["serial"],
    )
    assert not project.lockfile.exists()
    assert json.loads(s3_state.read(LOCK_KEY)) == before
    assert f"state: {{url: {s3_state.url(LOCK_KEY)}}}" in moved.stderr

    config = project.root / "onepin-sync.yaml"
    config.write_text(f"state:\n  url: {s3_state.url(LOCK_KEY)}\n", encoding="utf-8")
    again = project.run("state", "migrate", "--to", s3_state.url(LOCK_KEY), "--config",
                        str(config), target=False)  # fmt: skip
    assert again.code == 3
    assert "already at" in again.stderr
    back = project.run("state", "migrate", "--to", "file", "--config", str(config), target=False)
    assert back.code == 0, back.output
    assert json.loads(project.lockfile.read_text(encoding="utf-8")) == before
    assert s3_state.objects() == []
    assert f"now set `lockfile: {project.lockfile}` (and no `state: url`) in " in back.stderr


def test_a_state_url_that_names_no_object_is_refused_at_its_line(project: SyncProject) -> None:
    config = project.root / "onepin-sync.yaml"
    config.write_text("workflows: workflows\nstate:\n  url: s3://bucket-only/\n", encoding="utf-8")
    result = project.run("state", "list", "--config", str(config), target=False)
    assert result.code == 3
    assert "onepin-sync.yaml:3:8" in result.stderr
    assert "names a bucket and an object" in result.stderr


def wait_for(condition: object, timeout: float = 20.0) -> None:
    """Poll `condition` (a callable) until it holds; fail after `timeout` seconds."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_state_commands_edit_and_rebuild_the_remote_state(
    project: SyncProject, tmp_path: Path, s3_state: S3Bucket
) -> None:
    clone = runner(project, tmp_path / "clone", s3_state)
    assert run(clone, "apply", "--auto-approve").code == 0
    ids = {k: e["id"] for k, e in json.loads(s3_state.read(LOCK_KEY))["workflows"].items()}
    clone.path("flows/wf-1").rename(clone.workflows / "renamed.yaml")

    assert run(clone, "state", "mv", "flows/wf-1", "renamed").code == 0
    assert run(clone, "state", "rm", "flows/wf-0").code == 0
    state = json.loads(s3_state.read(LOCK_KEY))
    assert state["serial"] == 3
    assert {k: e["id"] for k, e in state["workflows"].items()} == {"renamed": ids["flows/wf-1"]}

    s3_state.client.delete_object(Bucket=s3_state.name, Key=LOCK_KEY)  # the state is lost
    rebuilt = run(clone, "state", "rebuild")
    assert rebuilt.code == 0, rebuilt.output
    state = json.loads(s3_state.read(LOCK_KEY))
    assert {k: e["id"] for k, e in state["workflows"].items()} == {
        "flows/wf-0": ids["flows/wf-0"],
        "renamed": ids["flows/wf-1"],
    }
    assert s3_state.objects() == [LOCK_KEY]
