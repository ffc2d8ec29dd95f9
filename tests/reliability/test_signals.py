"""SIGINT / SIGTERM during apply: stop queueing, let writes in flight finish, record them, release
the lock, exit 130 / 143; the next apply converges.

The child apply runs two creates at a time against a latency fault, so that when the signal comes
two creates are in flight (their intents are in the journal) and two are queued.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.reliability.harness import (
    SENDING,
    Tracked,
    assert_invariants,
    journal_intents,
    lock_is_free,
    wait_for,
    writes_sent,
)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_a_signal_during_apply_finishes_the_writes_in_flight(
    sync: Tracked, signum: signal.Signals, code: int
) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(
        kind="latency", seconds=1.0, method="POST", path="^/api/v1/workflows$", times=0
    )
    child = sync.spawn("--parallelism", "2")
    wait_for(lambda: journal_intents(sync) == 2, what="two creates journalled")
    time.sleep(SENDING)  # and sent: in flight
    child.send_signal(signum)
    interrupted = sync.finish(child)

    assert interrupted.code == code, interrupted.output
    assert f"Interrupted by {signum.name}: 2 created, 0 updated, 0 deleted" in interrupted.stderr
    assert interrupted.stdout.count(": skipped: interrupted") == 2
    assert len(writes_sent(sync, "POST")) == 2  # nothing new started after the signal
    assert len(sync.project.lock_entries()) == 2  # the finished writes are recorded
    assert not sync.journal.exists()
    assert lock_is_free(sync.lock)
    assert_invariants(sync)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_skips_the_writes_still_waiting_for_their_turn(
    sync: Tracked, signum: signal.Signals
) -> None:
    """Under --rps, writes journalled but waiting for the pacer are not in flight: after the
    signal none of them is sent (a CI runner's grace period would not outlast them)."""
    sync.project.copy_examples()
    child = sync.spawn("--parallelism", "4", "--rps", "2")  # a request every 0.5 s
    wait_for(lambda: journal_intents(sync) == 4, what="four creates waiting for their turn")
    child.send_signal(signum)
    interrupted = sync.finish(child)

    assert interrupted.code == 128 + signum, interrupted.output
    sent = len(writes_sent(sync, "POST"))
    assert sent <= 1  # the one whose turn had come, if any
    assert interrupted.stdout.count(": skipped: interrupted") == 4 - sent
    assert len(sync.project.lock_entries()) == sent
    assert not sync.journal.exists()  # every write's fate is known: none was sent
    assert lock_is_free(sync.lock)
    assert_invariants(sync)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_before_the_first_write_stops_the_run_with_nothing_written(
    sync: Tracked, signum: signal.Signals
) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="latency", seconds=0.5, method="GET", path="^/api/v1/workflows$")
    child = sync.spawn()
    wait_for(lambda: sync.lock.exists() and sync.lock.stat().st_size > 0, what="the lock")
    child.send_signal(signum)  # the run waits for its listing: nothing is being written
    stopped = sync.finish(child)

    if signum == signal.SIGINT:
        assert stopped.code == 130, stopped.output
        assert "Interrupted." in stopped.stderr
    else:
        assert stopped.code == -signal.SIGTERM  # the default action: nothing to clean up yet
    assert not [r for r in sync.our_requests() if r.method != "GET"]
    assert lock_is_free(sync.lock)
    assert_invariants(sync)
