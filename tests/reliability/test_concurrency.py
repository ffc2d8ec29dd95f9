"""Two runs at once on one lockfile, and the workspace moving between `plan --out` and `apply`.

The first apply is a child process held in the middle of its run by a latency fault; the second
runs in-process while the first holds the state lock.
"""

from __future__ import annotations

import json
import signal
import time

import httpx

from tests.reliability.harness import (
    SENDING,
    Tracked,
    applied_examples,
    assert_invariants,
    edit_description,
    journal_intents,
    wait_for,
    writes_sent,
)

LIST = "^/api/v1/workflows$"
KEY = "support/payment-reminder"


def _lock_holder(sync: Tracked) -> dict[str, object]:
    wait_for(lambda: sync.lock.exists() and sync.lock.stat().st_size > 0, what="the lock")
    holder: dict[str, object] = json.loads(sync.lock.read_text(encoding="utf-8"))
    return holder


def test_a_second_apply_waits_then_fails_naming_the_holder(sync: Tracked) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="latency", seconds=1, method="POST", path=LIST, times=0)
    first = sync.spawn()
    wait_for(lambda: journal_intents(sync) >= 1, what="the first apply to be writing")
    holder = _lock_holder(sync)

    started = time.monotonic()
    second = sync.run("apply", "--auto-approve", "--lock-timeout", "0.5")
    waited = time.monotonic() - started
    refused = sync.run("force-unlock", "not-the-id", "--lockfile", str(sync.project.lockfile),
                       target=False)  # fmt: skip
    finished = sync.finish(first)

    assert second.code == 4, second.output
    assert waited >= 0.5
    assert f"held by {holder['who']}@{holder['host']} (pid {first.pid})" in second.stderr
    assert f"lock id {holder['id']}" in second.stderr
    assert f"onepin-sync force-unlock {holder['id']}" in second.stderr
    assert refused.code == 3, refused.output
    assert finished.code == 0, finished.output
    assert len(writes_sent(sync, "POST")) == 4  # the second apply wrote nothing
    assert_invariants(sync)


def test_a_second_apply_with_a_longer_lock_timeout_waits_its_turn(sync: Tracked) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="latency", seconds=0.5, method="POST", path=LIST, times=0)
    first = sync.spawn()
    wait_for(lambda: journal_intents(sync) >= 1, what="the first apply to be writing")

    second = sync.run("apply", "--auto-approve", "--lock-timeout", "20")
    finished = sync.finish(first)

    assert finished.code == 0, finished.output
    assert second.code == 0, second.output
    assert "No changes." in second.stdout  # it planned after the first had applied everything
    assert len(writes_sent(sync, "POST")) == 4
    assert_invariants(sync)


def test_force_unlock_frees_the_lock_of_a_stuck_holder(sync: Tracked) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="latency", seconds=3, method="GET", path=LIST)
    stuck = sync.spawn()  # holds the lock while its listing hangs
    holder = _lock_holder(sync)
    try:
        blocked = sync.run("apply", "--auto-approve", "--lock-timeout", "0.2")
        released = sync.run("force-unlock", str(holder["id"]), "--lockfile",
                            str(sync.project.lockfile), target=False)  # fmt: skip
        applied = sync.run("apply", "--auto-approve")
    finally:
        stuck.send_signal(signal.SIGKILL)  # before its listing returns: it never writes
        sync.finish(stuck)

    assert blocked.code == 4, blocked.output
    assert released.code == 0, released.output
    assert f"Released the state lock {holder['id']}." in released.stdout
    assert applied.code == 0, applied.output
    assert "Apply complete: 4 created, 0 updated, 0 deleted." in applied.stdout
    assert_invariants(sync)


def test_a_remote_edit_between_plan_and_apply_is_a_conflict_not_overwritten(
    sync: Tracked,
) -> None:
    ids = applied_examples(sync)
    edit_description(sync, KEY, "Edited in git.")
    saved = sync.project.root / "plan.json"
    assert sync.run("plan", "--out", str(saved)).code == 0
    with sync.outside() as http:
        http.patch(f"/api/v1/workflows/{ids[KEY]}", json={"name": "Renamed in the app"})
    lockfile = sync.project.lockfile.read_bytes()
    patches = len(writes_sent(sync, "PATCH"))

    applied = sync.run("apply", str(saved))

    assert applied.code == 5, applied.output
    assert f"{KEY}: changed remotely since the plan" in applied.stderr
    assert len(writes_sent(sync, "PATCH")) == patches
    assert sync.project.lockfile.read_bytes() == lockfile
    assert {w["id"]: w["name"] for w in sync.remote()}[ids[KEY]] == "Renamed in the app"
    # Both sides changed now: only --force may overwrite the edit made in the app.
    assert sync.run("apply", "--auto-approve").code == 5
    assert_invariants(sync, converge_args=("--force",))


def test_a_plan_during_a_running_apply_leaves_its_journal_alone(sync: Tracked) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="latency", seconds=1, method="POST", path=LIST, times=0)
    first = sync.spawn()
    wait_for(lambda: journal_intents(sync) >= 1, what="the first apply to be writing")
    _lock_holder(sync)

    planned = sync.run("plan")
    finished = sync.finish(first)

    assert planned.code == 0, planned.output
    assert f"an apply is running (pid {first.pid}" in planned.stderr
    assert "interrupted apply" not in planned.stderr  # its journal is live, not interrupted
    assert finished.code == 0, finished.output
    assert_invariants(sync)


def test_an_app_edit_while_the_apply_runs_is_drift_not_applied(sync: Tracked) -> None:
    """An update sends only what the files changed (here the definition of each example). A
    description typed in the app during the apply, after the plan's read and before that
    workflow's write, stays in the workspace; it must not become the lockfile's record of what
    the apply made (then no plan would ever show it): the next plan shows it as drift."""
    ids = applied_examples(sync)
    keys = sorted(ids)
    for key in keys:
        document = sync.project.read(key)
        node = document["definition"]["graph"]["nodes"][0]
        node["config"] = {**node.get("config", {}), "script_text": "Edited in git."}
        sync.project.write(key, document)
    first, last = keys[0], keys[-1]
    sync.workspace.add_fault(
        kind="latency", seconds=1.5, method="PATCH", path=f"/{ids[first]}$", times=1
    )
    applying = sync.spawn("--parallelism", "1")
    wait_for(lambda: journal_intents(sync) >= 1, what="the first update to be sent")
    time.sleep(SENDING)
    ws = sync.workspace
    httpx.patch(
        f"{ws.base_url}/api/v1/workflows/{ids[last]}",
        json={"description": "Typed in the app."},
        headers=ws.headers,
    ).raise_for_status()
    applied = sync.finish(applying)

    assert applied.code == 0, applied.output
    assert (
        f"Warning: {last}: description changed in the workspace while this apply ran (not by "
        "onepin-sync); kept there, and the next plan shows it as a change made outside"
    ) in applied.stderr
    assert "Verified" not in applied.stdout
    assert "the server rewrote something" not in applied.stderr
    plan = sync.run("plan")
    assert f"# {last} will be updated in place (changed outside onepin-sync)" in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to delete." in plan.stdout
    assert sync.run("apply", "--auto-approve").code == 0
    assert "No changes." in sync.run("plan").stdout
