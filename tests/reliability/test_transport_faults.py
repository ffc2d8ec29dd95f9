"""Transport faults injected by the emulator during real applies: each run ends with an honest
exit code, and one more apply converges with nothing lost (see `harness.assert_invariants`).

Faults answer with `Retry-After: 0` (or none) and fire a limited number of `times`, so the retries
they cause cost no real waiting.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from onepin_sync.api.client import OnepinClient, SessionOptions
from onepin_sync.commands.context import ClientOptions
from onepin_sync.emulator.control import EmulatorWorkspace
from tests.reliability.harness import (
    EXAMPLE_KEYS,
    Tracked,
    applied_examples,
    assert_invariants,
    edit_description,
    planned_edits,
    wait_for,
    writes_sent,
)
from tests.samples import tiny_workflow

LIST = "^/api/v1/workflows$"
ONE = "^/api/v1/workflows/[^/]+$"
EMPTY_GRAPH = {"graph": {"nodes": [], "edges": []}}


def _created_all(sync: Tracked, *args: str) -> None:
    sync.project.copy_examples()
    applied = sync.run("apply", "--auto-approve", *args)
    assert applied.code == 0, applied.output
    assert "Apply complete: 4 created, 0 updated, 0 deleted." in applied.stdout


# --- reads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 500, "retry_after": 0, "times": 2},
        {"kind": "status", "status": 502, "retry_after": 0, "times": 2},
        {"kind": "status", "status": 503, "retry_after": 0, "times": 2},
        {"kind": "status", "status": 503, "times": 1},  # no Retry-After: jittered backoff
        {"kind": "status", "status": 429, "retry_after": 0, "times": 3},
        {"kind": "reset", "times": 2},
    ],
    ids=["500", "502", "503", "503-backoff", "429", "reset"],
)
def test_failed_reads_are_retried(sync: Tracked, fault: dict[str, Any]) -> None:
    sync.workspace.add_fault(method="GET", path=LIST, **fault)
    _created_all(sync)
    assert sum(1 for r in sync.our_requests() if r.fault) == fault["times"]
    assert_invariants(sync)


def test_retry_after_in_seconds_is_waited_for(sync: Tracked) -> None:
    sync.workspace.add_fault(kind="status", status=429, retry_after=1, method="GET", path=LIST)
    started = time.monotonic()
    _created_all(sync)
    assert time.monotonic() - started >= 1.0
    assert_invariants(sync)


@pytest.mark.parametrize(
    ("retry_after", "waited"),
    [(7, 7.0), (30, 30.0), (10**9, 60.0)],
    ids=["seconds", "http-date", "absurd"],
)
def test_retry_after_from_the_server_is_honoured_and_capped(
    workspace: EmulatorWorkspace, retry_after: int, waited: float
) -> None:
    """The client's sleep is injected, so the waits are checked exactly and cost nothing."""
    value: int | str = retry_after
    if retry_after == 30:  # a date by the server's clock, which earlier tests may have moved on
        value = format_datetime(workspace.control.now() + timedelta(seconds=30), usegmt=True)
    workspace.add_fault(kind="status", status=429, retry_after=value, method="GET", path=LIST)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def list_once() -> None:
        settings = SessionOptions(base_url=workspace.base_url, api_key=workspace.api_key)
        async with OnepinClient(settings, sleep=sleep) as client:
            assert await client.list_workflows() == []

    asyncio.run(list_once())
    assert slept == [pytest.approx(waited, abs=1.5)]  # an HTTP-date has whole seconds


def test_an_absurd_retry_after_never_outlives_the_run_timeout(sync: Tracked) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(
        kind="status", status=429, retry_after=10**9, method="GET", path=LIST, times=0
    )
    started = time.monotonic()
    applied = sync.run("apply", "--auto-approve", "--timeout", "3")
    assert applied.code == 1, applied.output
    assert "deadline" in applied.stderr
    assert time.monotonic() - started < 2.5  # gave up at once: waiting would pass the deadline
    assert not [r for r in sync.our_requests() if r.method != "GET"]
    assert_invariants(sync)


def test_the_run_timeout_also_cuts_a_request_that_hangs(sync: Tracked) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="latency", seconds=2.5, method="GET", path=LIST, times=0)
    started = time.monotonic()
    planned = sync.run("plan", "--timeout", "1")
    assert planned.code == 1, planned.output
    assert "deadline" in planned.stderr
    assert time.monotonic() - started < 2.0
    assert_invariants(sync)


def test_the_run_timeout_ends_an_apply_whose_create_hangs_and_nothing_is_lost(
    sync: Tracked,
) -> None:
    """The create is cut off at the deadline, the server commits it later: the next run adopts."""
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="latency", seconds=2, method="POST", path=LIST)
    started = time.monotonic()
    applied = sync.run("apply", "--auto-approve", "--parallelism", "1", "--timeout", "1")
    assert time.monotonic() - started < 1.8
    assert applied.code == 6, applied.output
    assert "Apply incomplete: 0 created, 0 updated, 0 deleted; 1 failed, 3 skipped." in (
        applied.stderr
    )
    wait_for(
        lambda: [r.status for r in writes_sent(sync, "POST")] == [201],
        what="the server to commit the create cut off by the deadline",
    )
    assert_invariants(sync)


def test_a_hanging_read_times_out_and_is_retried(sync: Tracked) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="latency", seconds=1, method="GET", path=LIST)
    applied = sync.apply_direct(client=ClientOptions(timeout=0.3))
    assert applied.code == 0, applied.output
    assert_invariants(sync)


def test_rps_spaces_the_requests(sync: Tracked) -> None:
    started = time.monotonic()
    _created_all(sync, "--rps", "10")  # 1 listing, 4 creates, 1 verification listing
    assert time.monotonic() - started >= 0.5
    assert_invariants(sync)


def test_a_listing_that_shifts_between_pages_is_read_again(sync: Tracked) -> None:
    sync.seed_unmanaged(150, EMPTY_GRAPH)
    sync.workspace.add_fault(kind="shift", method="GET", path=LIST, nth=2)  # before page 2
    _created_all(sync)
    listings = [r for r in sync.our_requests() if r.method == "GET" and r.path.endswith("flows")]
    assert len(listings) == 6  # the shifted read, the read again, the verification: 2 pages each
    assert_invariants(sync)


def test_a_listing_that_never_settles_fails_before_any_write(sync: Tracked) -> None:
    sync.seed_unmanaged(150, EMPTY_GRAPH)
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="shift", method="GET", path=LIST, nth=2, times=0)
    applied = sync.run("apply", "--auto-approve")
    assert applied.code == 1, applied.output
    assert "kept changing" in applied.stderr
    assert not [r for r in sync.our_requests() if r.method != "GET"]
    assert_invariants(sync)


def test_a_verification_listing_that_fails_leaves_a_complete_apply_reported_and_recorded(
    sync: Tracked,
) -> None:
    """The writes are done: the run says so, and that they could not be read back, instead of
    ending in an error with no report."""
    planned_edits(sync)
    # The apply's listing is the 1st; the verification listing and every retry of it fail.
    sync.workspace.add_fault(
        kind="status", status=503, retry_after=0, method="GET", path=LIST, nth=2, times=0
    )

    applied = sync.run("apply", "--auto-approve", "--json")

    assert applied.code == 0, applied.output
    assert "Apply complete: 0 created, 2 updated, 1 deleted." in applied.stderr
    assert "not verified: reading the workspace back failed (GET /api/v1/workflows" in (
        applied.stderr
    )
    assert "the writes are done and recorded in the lockfile" in applied.stderr
    assert json.loads(applied.stdout)["verified"] is None
    sync.workspace.control.clear_faults()
    assert sync.run("plan", "--detailed-exitcode").code == 0
    assert_invariants(sync)


# --- creates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 500},
        {"kind": "status", "status": 503, "retry_after": 0},
        {"kind": "reset"},
    ],
    ids=["500", "503", "reset"],
)
def test_a_create_failing_ambiguously_is_not_sent_again(
    sync: Tracked, fault: dict[str, Any]
) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(method="POST", path=LIST, **fault)
    applied = sync.run("apply", "--auto-approve")
    assert applied.code == 6, applied.output
    assert "may or may not have been created" in applied.stdout
    assert "no workflow it could have created was found" in applied.stdout
    assert len(writes_sent(sync, "POST")) == 4  # one each: the ambiguous one was not re-sent
    assert_invariants(sync)


@pytest.mark.parametrize("reset", [False, True], ids=["502", "reset"])
def test_a_create_committed_then_failed_is_adopted(sync: Tracked, reset: bool) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="commit_then_fail", reset=reset, method="POST", path=LIST)
    applied = sync.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    assert "adopted" in applied.stdout
    assert len(writes_sent(sync, "POST")) == 4
    assert_invariants(sync)


def test_a_create_committed_then_failed_and_not_found_yet_is_adopted_by_the_next_run(
    sync: Tracked,
) -> None:
    """The lookup after the ambiguous create fails too: the next run must look again."""
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="commit_then_fail", method="POST", path=LIST)
    # the plan's listing passes; every listing of the lookup after the failed create fails
    sync.workspace.add_fault(
        kind="status", status=503, retry_after=0, method="GET", path=LIST, nth=2, times=6
    )
    applied = sync.run("apply", "--auto-approve", "--parallelism", "1")
    assert applied.code == 6, applied.output
    assert "the next run looks again" in applied.stdout
    assert_invariants(sync)


def test_a_create_whose_response_never_arrives_is_adopted_by_the_next_run(sync: Tracked) -> None:
    """The server commits after the client gave up waiting: the lookup right after misses it."""
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="latency", seconds=1, method="POST", path=LIST)
    applied = sync.apply_direct(client=ClientOptions(timeout=0.3))
    assert applied.code == 6, applied.output
    assert "ReadTimeout" in applied.stdout
    wait_for(
        lambda: len([r for r in writes_sent(sync, "POST") if r.status is not None]) == 4,
        what="the server to commit the create the client gave up on",
    )
    assert_invariants(sync)


def test_a_storm_of_429_on_creates_is_retried_without_duplicates(sync: Tracked) -> None:
    sync.workspace.add_fault(
        kind="status", status=429, retry_after=0, method="POST", path=LIST, times=5
    )
    _created_all(sync)
    assert len(writes_sent(sync, "POST")) == 4 + 5
    assert_invariants(sync)


def test_422_on_one_workflow_of_many_stops_the_line(sync: Tracked) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(
        kind="status", status=422, method="POST", body_contains="Payment reminder"
    )
    applied = sync.run("apply", "--auto-approve", "--parallelism", "1")
    assert applied.code == 6, applied.output
    assert "Apply incomplete: 2 created, 0 updated, 0 deleted; 1 failed, 1 skipped." in (
        applied.stderr
    )
    assert f"{EXAMPLE_KEYS[2]}: failed" in applied.stdout
    assert f"{EXAMPLE_KEYS[3]}: skipped: an earlier write failed" in applied.stdout
    assert_invariants(sync)


def test_422_on_one_workflow_of_many_with_continue_on_error(sync: Tracked) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(
        kind="status", status=422, method="POST", body_contains="Payment reminder"
    )
    applied = sync.run("apply", "--auto-approve", "--parallelism", "1", "--continue-on-error")
    assert applied.code == 6, applied.output
    assert "Apply incomplete: 3 created, 0 updated, 0 deleted; 1 failed." in applied.stderr
    assert_invariants(sync)


def test_401_in_the_middle_of_an_apply(sync: Tracked) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="status", status=401, method="POST", path=LIST, nth=2)
    applied = sync.run("apply", "--auto-approve", "--parallelism", "1")
    assert applied.code == 6, applied.output
    assert "401" in applied.stdout
    assert "Apply incomplete: 1 created, 0 updated, 0 deleted; 1 failed, 2 skipped." in (
        applied.stderr
    )
    assert len(sync.project.lock_entries()) == 1
    assert_invariants(sync)


# --- updates and deletes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"kind": "status", "status": 500, "method": "PATCH"}, 6),  # not retried: may recur
        ({"kind": "status", "status": 502, "retry_after": 0, "method": "PATCH"}, 0),
        ({"kind": "status", "status": 503, "retry_after": 0, "method": "PATCH"}, 0),
        ({"kind": "reset", "method": "PATCH"}, 0),
        ({"kind": "commit_then_fail", "method": "PATCH"}, 0),
        ({"kind": "commit_then_fail", "reset": True, "method": "PATCH"}, 0),
        ({"kind": "status", "status": 503, "retry_after": 0, "method": "DELETE"}, 0),
        ({"kind": "reset", "method": "DELETE"}, 0),
        ({"kind": "commit_then_fail", "method": "DELETE"}, 0),
    ],
    ids=[
        "patch-500",
        "patch-502",
        "patch-503",
        "patch-reset",
        "patch-commit-then-502",
        "patch-commit-then-reset",
        "delete-503",
        "delete-reset",
        "delete-commit-then-502",
    ],
)
def test_failed_updates_and_deletes(sync: Tracked, fault: dict[str, Any], code: int) -> None:
    planned_edits(sync)
    sync.workspace.add_fault(path=ONE, **fault)
    applied = sync.run("apply", "--auto-approve")
    assert applied.code == code, applied.output
    if code == 0:
        assert "Apply complete: 0 created, 2 updated, 1 deleted." in applied.stdout
    else:
        assert "Apply incomplete: 0 created, 1 updated, 0 deleted; 1 failed, 1 skipped." in (
            applied.stderr
        )
    assert_invariants(sync)


def test_an_update_committed_then_answered_with_an_error_is_known_done(sync: Tracked) -> None:
    """The server commits, then fails the answer (a 500 an update is not retried on; a gateway
    failing every attempt ends the same way, only later): the verification listing shows the
    update landed, so it is recorded as done, and a later edit of the same file is a change in
    git, never a conflict with our own write."""
    applied_examples(sync)
    key = "education/lesson-narration"
    edit_description(sync, key, "Edited in git (1).")
    sync.workspace.add_fault(kind="commit_then_fail", status=500, method="PATCH", path=ONE)

    applied = sync.run("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    assert f"{key}: its update failed, yet the workspace shows it done" in applied.stderr
    assert "Apply complete: 0 created, 1 updated, 0 deleted." in applied.stdout
    sync.workspace.control.clear_faults()
    edit_description(sync, key, "Edited in git (2).")
    replanned = sync.run("plan")
    assert "changed in git" in replanned.stdout, replanned.output
    assert "conflict" not in replanned.output
    assert sync.run("apply", "--auto-approve").code == 0
    assert_invariants(sync)


def test_a_delete_that_went_through_unanswered_is_already_gone(sync: Tracked) -> None:
    ids = applied_examples(sync)
    sync.project.remove("support/payment-reminder")
    sync.workspace.add_fault(kind="commit_then_fail", method="DELETE", path=ONE)
    applied = sync.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    gone = f"support/payment-reminder: deleted (id={ids['support/payment-reminder']}): already gone"
    assert gone in applied.stdout
    deletes = writes_sent(sync, "DELETE")
    assert [r.path.rsplit("/", 1)[1] for r in deletes] == [ids["support/payment-reminder"]] * 2
    assert_invariants(sync)


def test_a_delete_answered_404_for_a_workflow_still_listed_is_warned_about(sync: Tracked) -> None:
    ids = applied_examples(sync)
    key = "support/payment-reminder"
    sync.project.remove(key)
    sync.workspace.add_fault(kind="status", status=404, method="DELETE", path=ONE)

    applied = sync.run("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    assert f"{key}: deleted (id={ids[key]}): already gone" in applied.stdout
    assert (
        f"{key}: the server answered its delete, yet the workspace still lists {ids[key]}; it is "
        "no longer managed"
    ) in applied.stderr
    assert ids[key] in {w["id"] for w in sync.remote()}


def test_two_identical_files_each_adopt_their_own_workflow(sync: Tracked) -> None:
    """Same name, same definition, both creates unanswered: each key must get its own workflow."""
    twin = tiny_workflow("Twin")
    sync.project.write("twins/a", twin)
    sync.project.write("twins/b", twin)
    sync.workspace.add_fault(kind="commit_then_fail", method="POST", path=LIST, times=2)
    applied = sync.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    assert applied.stdout.count("adopted") == 2
    assert_invariants(sync)


def test_twin_creates_whose_answers_were_lost_are_each_adopted_as_their_own(
    sync: Tracked,
) -> None:
    """Names are not unique: two files of one name and graph, differing in a script, both sent
    at once and both answers lost after the commit. Each key adopts the workflow holding its
    own script, never the other's (both match by name, structure and time)."""
    for key in ("a", "b"):
        sync.project.write(key, tiny_workflow("Twin", text=f"The text of {key}."))
    sync.workspace.add_fault(kind="commit_then_fail", reset=True, method="POST", path=LIST)
    sync.workspace.add_fault(kind="commit_then_fail", reset=True, method="POST", path=LIST)

    applied = sync.run("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    ws = sync.workspace
    for key in ("a", "b"):
        workflow_id = sync.project.lock_entries()[key]["id"]
        answer = httpx.get(f"{ws.base_url}/api/v1/workflows/{workflow_id}", headers=ws.headers)
        node = answer.raise_for_status().json()["data"]["definition"]["graph"]["nodes"][0]
        assert node["config"]["script_text"] == f"The text of {key}."

    assert "No changes." in sync.run("plan").stdout
    assert_invariants(sync)
