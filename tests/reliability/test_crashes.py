"""`apply` killed with SIGKILL at each step of a write (failpoints), then run again.

The killed run is a real child process (`python -m onepin_sync apply`) armed with
`ONEPIN_SYNC_FAILPOINT`; nothing of it runs after the kill. The next apply settles its journal:
a create that reached the server is adopted (never created twice), an update re-checked, a delete
confirmed by a 404; then everything converges (`harness.assert_invariants`).
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from onepin_sync.core.matching import SETTLE_AFTER
from onepin_sync.state.lockfile import read_lockfile
from tests.reliability.harness import (
    EXAMPLE_KEYS,
    SERVER_CLOCK_STEP,
    Tracked,
    applied_examples,
    assert_invariants,
    edit_description,
    journal_intents,
    killed,
    wait_for,
    writes_sent,
)
from tests.samples import tiny_workflow

KEY = "support/payment-reminder"
METHOD = {"create": "POST", "update": "PATCH", "delete": "DELETE"}
STEPS = (
    "write.before_intent",
    "write.before_request",
    "write.after_response",
    "lockfile.before_replace",
)
SETTLED = {
    ("create", "write.before_request"): "interrupted create had not happened; it is planned again",
    ("create", "write.after_response"): "interrupted create had completed; adopted ",
    ("create", "lockfile.before_replace"): "create had completed; recorded",
    ("update", "write.before_request"): "interrupted update had not landed; it is planned again",
    ("update", "write.after_response"): "interrupted update had completed",
    ("update", "lockfile.before_replace"): "update had completed; recorded",
    ("delete", "write.before_request"): "interrupted delete had not happened; it is planned again",
    ("delete", "write.after_response"): "interrupted delete had completed",
    ("delete", "lockfile.before_replace"): "delete had completed; recorded",
}
"""What the next apply says about the first write of the killed run."""


def _plan_one_kind_of_write(sync: Tracked, action: str) -> int:
    """Files planning only writes of one kind; returns how many."""
    if action == "create":
        sync.project.copy_examples()
        return len(EXAMPLE_KEYS)
    applied_examples(sync)
    if action == "update":
        edit_description(sync, KEY, "Edited in git.")
    else:
        sync.project.remove(KEY)
    return 1


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("action", ["create", "update", "delete"])
def test_apply_killed_at_a_step_of_a_write_is_settled_by_the_next_apply(
    sync: Tracked, action: str, step: str
) -> None:
    planned = _plan_one_kind_of_write(sync, action)
    method = METHOD[action]
    sent_before = len(writes_sent(sync, method))
    lockfile_before = read_lockfile(sync.project.lockfile)
    # A first apply also writes the (empty) lockfile before its first write: kill at the final one.
    failpoint = f"{step}:2" if step.startswith("lockfile.") and action == "create" else step

    crashed = sync.finish(sync.spawn(failpoint=failpoint))

    assert killed(crashed), crashed.output
    sent = len(writes_sent(sync, method)) - sent_before
    if step in {"write.before_intent", "write.before_request"}:
        assert sent == 0
    elif step == "write.after_response":
        assert sent >= 1
    else:
        assert sent == planned
    lockfile_after = read_lockfile(sync.project.lockfile)  # valid: old or new, never half
    if lockfile_before is not None:
        assert lockfile_after == lockfile_before  # the run died before its final lockfile write
    else:
        assert lockfile_after is not None
        assert lockfile_after.workflows == {}
    # The intents of writes started together reach the disk in one batch (group commit):
    # all of them are there before the first request goes out.
    intents = {"write.before_intent": 0}.get(step, planned)
    assert journal_intents(sync) == intents

    if action == "create":
        # The next run lists before the server has had SETTLE_AFTER to finish the creates it does
        # not show (never sent, or cut off): it waits out the last seconds of it, as a real one
        # would, then lists again.
        almost = SETTLE_AFTER - 2 * SERVER_CLOCK_STEP
        sync.workspace.control.advance_clock(almost.total_seconds())
    recovered = sync.run("apply", "--auto-approve")
    assert recovered.code == 0, recovered.output
    if step != "write.before_intent":
        note = SETTLED[action, step]
        if action != "create":
            note = f"Warning: interrupted apply: {KEY}: {note}"
        elif step != "write.after_response":  # else any of the creates may have answered first
            note = f"Warning: interrupted apply: {EXAMPLE_KEYS[0]}: {note}"
        assert note in recovered.stderr
    if step in {"write.after_response", "lockfile.before_replace"} and action == "create":
        created = [r for r in writes_sent(sync, "POST") if r.status in {200, 201}]
        assert len(created) == planned  # adopted, never created again
    assert_invariants(sync)


def test_an_unanswered_create_is_adopted_with_its_files_lifecycle_flags(sync: Tracked) -> None:
    """Its file removed before the next run, a `destroy: false` workflow whose create lost its
    answer is forgotten, not deleted: the entry adopting it records the flags the file had."""
    lifecycle = {"destroy": False, "ignore_changes": ["description"]}
    sync.project.write("kept", {**tiny_workflow("Kept"), "lifecycle": lifecycle})
    sync.project.write("other", tiny_workflow("Other"))
    crashed = sync.finish(sync.spawn(failpoint="write.after_response"))
    assert killed(crashed), crashed.output
    sync.project.remove("kept")
    sync.later()  # so the next run need not wait (the test above waits, as a real one would)

    recovered = sync.run("apply", "--auto-approve")

    assert recovered.code == 0, recovered.output
    assert "Warning: interrupted apply: kept: interrupted create had completed" in recovered.stderr
    assert writes_sent(sync, "DELETE") == []
    assert sorted(w["name"] for w in sync.remote()) == ["Kept", "Other"]
    assert list(sync.project.lock_entries()) == ["other"]


def test_a_create_cut_off_mid_body_by_a_dying_client_creates_nothing(sync: Tracked) -> None:
    """What the server sees of a POST whose process died while sending it."""
    url = urlsplit(sync.workspace.base_url)
    head = (
        f"POST /api/v1/workflows HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {sync.workspace.api_key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port)) as connection:
        connection.sendall(head.encode() + b'{"name": "Half a req')

    wait_for(lambda: len(writes_sent(sync, "POST")) == 1, what="the request to be logged")
    (cut,) = writes_sent(sync, "POST")
    assert (cut.status, cut.fault) == (None, "client_disconnected")
    assert sync.remote() == []


def test_a_misspelt_failpoint_is_refused_before_anything_runs(sync: Tracked) -> None:
    sync.project.copy_examples()
    refused = sync.finish(sync.spawn(failpoint="write.before_reqest"))
    assert refused.code == 3, refused.output
    assert "ONEPIN_SYNC_FAILPOINT='write.before_reqest': expected NAME or NAME:N" in refused.stderr
    assert sync.workspace.requests() == []
