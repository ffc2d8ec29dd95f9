"""The executor against an in-memory workspace: what runs, in which order, what is journalled
and what the returned lockfile state records, when writes succeed, fail, are interrupted (a first
Ctrl-C skips what has not started, a second cancels what is in flight) or cannot be journalled.

Each test asserts every change's status, the state's entries, the journal lines (a real `Journal`
on disk, summarised by `plans.journalled`) and the exact API calls.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from onepin_sync.core.fingerprint import desired_fingerprint
from onepin_sync.core.guards import ApplyOptions
from onepin_sync.core.redact import Redactor
from onepin_sync.core.results import ChangeResult
from onepin_sync.core.transitions import pending_create
from onepin_sync.errors import JournalWriteError
from tests.commands.fake_api import Call, InMemoryWorkflowApi, Method, wf
from tests.commands.plans import (
    EARLIER,
    REFUSED,
    creating,
    deleting,
    execute,
    intents,
    journalled,
    outcomes,
    plan_of,
    statuses,
    updating,
)
from tests.core.builders import SALT, entry, lockfile, spec

# --- the decision table: one create, one update, one delete listed first -------------------------

APPLIED = spec(name="Edited")  # what the lockfile says was applied to "edited"
EDITED = spec(name="Edited", description="Greets everyone")
NEW = spec(name="New")
REMOVED = spec(name="Removed")
AFTER = {"new": NEW, "edited": EDITED}


@dataclass(frozen=True)
class Row:
    id: str
    statuses: dict[str, str]
    calls: list[Call]
    journal: list[str]
    lockfile: dict[str, str]  # key -> "recorded" (the write's entry) or "as before"
    serial: int
    refuse: tuple[Method, ...] = ()  # the server answers these writes with a 500
    gone: tuple[str, ...] = ()  # keys whose workflow was deleted outside before the apply
    options: ApplyOptions = field(default_factory=lambda: ApplyOptions(parallelism=1))


CONTINUE = ApplyOptions(parallelism=1, continue_on_error=True)
ALL_CALLS: list[Call] = [("create", "New"), ("patch", wf(1)), ("delete", wf(2))]
BEGIN = "begin lineage-1 7"
NEW_OK = ["intent 2 create new", "outcome 2 ok"]
EDITED_OK = ["intent 3 update edited", "outcome 3 ok"]
REMOVED_OK = ["intent 1 delete removed", "outcome 1 ok"]
NEW_FAILED = ["intent 2 create new", "outcome 2 failed ApiError 500"]
EDITED_FAILED = ["intent 3 update edited", "outcome 3 failed ApiError 500"]
REMOVED_FAILED = ["intent 1 delete removed", "outcome 1 failed ApiError 500"]

TABLE = [
    Row(
        "all done: create and update first, the delete last although listed first",
        statuses={"removed": "done", "new": "done", "edited": "done"},
        calls=ALL_CALLS,
        journal=[BEGIN, *NEW_OK, *EDITED_OK, *REMOVED_OK],
        lockfile={"edited": "recorded", "new": "recorded"},
        serial=8,
    ),
    Row(
        "a failed create stops the line",
        refuse=("create",),
        statuses={"removed": EARLIER, "new": "failed: server error", "edited": EARLIER},
        calls=[("create", "New")],
        journal=[BEGIN, *NEW_FAILED],
        lockfile={"edited": "as before", "removed": "as before"},
        serial=7,
    ),
    Row(
        "a failed create with continue-on-error: the rest still run",
        refuse=("create",),
        options=CONTINUE,
        statuses={"removed": "done", "new": "failed: server error", "edited": "done"},
        calls=ALL_CALLS,
        journal=[BEGIN, *NEW_FAILED, *EDITED_OK, *REMOVED_OK],
        lockfile={"edited": "recorded"},
        serial=8,
    ),
    Row(
        "a failed update: the delete never starts",
        refuse=("patch",),
        statuses={"removed": EARLIER, "new": "done", "edited": "failed: server error"},
        calls=[("create", "New"), ("patch", wf(1))],
        journal=[BEGIN, *NEW_OK, *EDITED_FAILED],
        lockfile={"edited": "as before", "new": "recorded", "removed": "as before"},
        serial=8,
    ),
    Row(
        "a failed update with continue-on-error: the delete still runs",
        refuse=("patch",),
        options=CONTINUE,
        statuses={"removed": "done", "new": "done", "edited": "failed: server error"},
        calls=ALL_CALLS,
        journal=[BEGIN, *NEW_OK, *EDITED_FAILED, *REMOVED_OK],
        lockfile={"edited": "as before", "new": "recorded"},
        serial=8,
    ),
    Row(
        "an update of a workflow deleted outside fails; the delete never starts",
        gone=("edited",),
        statuses={
            "removed": EARLIER,
            "new": "done",
            "edited": f"failed: PATCH /workflows/{wf(1)}: not found",
        },
        calls=[("create", "New"), ("patch", wf(1))],
        journal=[BEGIN, *NEW_OK, "intent 3 update edited", "outcome 3 failed NotFoundError 404"],
        lockfile={"edited": "as before", "new": "recorded", "removed": "as before"},
        serial=8,
    ),
    Row(
        "a delete answered 404 is done: already gone",
        gone=("removed",),
        statuses={"removed": "done: already gone", "new": "done", "edited": "done"},
        calls=ALL_CALLS,
        journal=[BEGIN, *NEW_OK, *EDITED_OK, *REMOVED_OK],
        lockfile={"edited": "recorded", "new": "recorded"},
        serial=8,
    ),
    Row(
        "a failed delete keeps its entry",
        refuse=("delete",),
        statuses={"removed": "failed: server error", "new": "done", "edited": "done"},
        calls=ALL_CALLS,
        journal=[BEGIN, *NEW_OK, *EDITED_OK, *REMOVED_FAILED],
        lockfile={"edited": "recorded", "new": "recorded", "removed": "as before"},
        serial=8,
    ),
]


@pytest.mark.parametrize("row", TABLE, ids=[r.id for r in TABLE])
def test_decision_table(row: Row, tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    edited, removed = api.add(APPLIED), api.add(REMOVED)  # wf(1), wf(2)
    state = lockfile(edited=entry(APPLIED, edited), removed=entry(REMOVED, removed))
    plan = plan_of(
        deleting("removed", removed),
        creating("new", NEW),
        updating("edited", edited, EDITED),
        state=state,
    )
    targets = {"create": "New", "patch": edited.id, "delete": removed.id}
    for method in row.refuse:
        api.fail_next(method, targets[method], error=REFUSED)
    for key in row.gone:
        api.drop(state.workflows[key].id)

    result = execute(plan, api, state, tmp_path, row.options)

    assert [r.key for r in result.results] == ["removed", "new", "edited"]  # the plan's order
    assert statuses(result) == row.statuses
    assert api.calls == row.calls
    assert journalled(tmp_path) == row.journal
    written = {r.key: r.remote_id for r in result.results}
    assert dict(result.state.workflows) == {
        key: state.workflows[key]
        if how == "as before"
        else entry(AFTER[key], api.workflows[str(written[key])])
        for key, how in row.lockfile.items()
    }
    assert result.state.serial == row.serial
    assert result.unresolved == ()


def test_the_journal_outcome_carries_the_entry_the_lockfile_records(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    edited = api.add(APPLIED)
    state = lockfile(edited=entry(APPLIED, edited))
    plan = plan_of(creating("new", NEW), updating("edited", edited, EDITED), state=state)

    result = execute(plan, api, state, tmp_path, ApplyOptions(parallelism=1))

    assert api.calls == [("create", "New"), ("patch", wf(1))]
    patched = api.workflows[wf(1)]
    assert patched.spec == EDITED
    assert patched.updated_at > edited.updated_at
    assert dict(result.state.workflows) == {
        "edited": entry(EDITED, patched),
        "new": entry(NEW, api.workflows[wf(2)]),
    }
    assert {op: o.entry for op, o in outcomes(tmp_path).items()} == {
        1: result.state.workflows["new"],
        2: result.state.workflows["edited"],
    }
    assert (result.state.lineage, result.state.serial) == ("lineage-1", 8)
    assert result.state.pending == {}
    # Intents are timed by the server's clock; a create's carries what would be pending for it.
    create, update = intents(tmp_path)
    assert create.pending == pending_create(
        NEW, desired_fingerprint(NEW, SALT), SALT, False, sent_at=api.served[0]
    )
    assert create.started_at == api.served[0]  # read before the request (served[1]) was sent
    assert (update.pending, update.started_at) == (None, api.served[2])


def test_an_update_sends_only_the_fields_it_changes(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    edited = api.add(APPLIED)
    state = lockfile(edited=entry(APPLIED, edited))
    change = updating("edited", edited, EDITED)
    assert change.patch_fields == ("description",)
    api.edit(edited.id, {"name": "Renamed outside"})

    result = execute(plan_of(change, state=state), api, state, tmp_path, ApplyOptions())

    assert statuses(result) == {"edited": "done"}
    assert api.calls == [("patch", wf(1))]
    assert api.workflows[wf(1)].spec == EDITED.model_copy(update={"name": "Renamed outside"})


def test_deletes_start_only_after_every_create_and_update_ended(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    one, two, kept = api.add(spec(name="one")), api.add(spec(name="two")), api.add(APPLIED)
    state = lockfile(
        one=entry(spec(name="one"), one),
        two=entry(spec(name="two"), two),
        edited=entry(APPLIED, kept),
    )
    plan = plan_of(
        deleting("one", one),
        creating("new", NEW),
        deleting("two", two),
        updating("edited", kept, EDITED),
        creating("other", spec(name="Other")),
        state=state,
    )

    result = execute(plan, api, state, tmp_path, ApplyOptions(parallelism=8))

    assert statuses(result) == dict.fromkeys(["one", "new", "two", "edited", "other"], "done")
    assert api.calls == [
        ("create", "New"),
        ("patch", wf(3)),
        ("create", "Other"),
        ("delete", wf(1)),
        ("delete", wf(2)),
    ]
    assert journalled(tmp_path) == [
        "begin lineage-1 7",
        "intent 2 create new",
        "intent 4 update edited",
        "intent 5 create other",  # all three in flight at once
        "outcome 2 ok",
        "outcome 4 ok",
        "outcome 5 ok",
        "intent 1 delete one",
        "intent 3 delete two",
        "outcome 1 ok",
        "outcome 3 ok",
    ]
    assert sorted(result.state.workflows) == ["edited", "new", "other"]


def test_stop_the_line_lets_writes_in_flight_finish_and_skips_the_rest(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    gone = api.add(REMOVED)
    state = lockfile(removed=entry(REMOVED, gone))
    plan = plan_of(
        creating("a", spec(name="A")),
        creating("b", spec(name="B")),
        creating("c", spec(name="C")),
        deleting("removed", gone),
        state=state,
    )
    a_answered = api.hold_next("create", "A")
    api.fail_next("create", "B", error=REFUSED)
    reported: list[str] = []

    def report(result: ChangeResult) -> None:
        reported.append(result.key)
        if result.key == "b":
            a_answered.set()  # A is answered only after B has failed

    result = execute(plan, api, state, tmp_path, ApplyOptions(parallelism=2), on_result=report)

    assert statuses(result) == {
        "a": "done",
        "b": "failed: server error",
        "c": EARLIER,
        "removed": EARLIER,
    }
    assert sorted(reported) == ["a", "b", "c", "removed"]
    assert api.calls == [("create", "A"), ("create", "B")]
    assert journalled(tmp_path) == [
        "begin lineage-1 7",
        "intent 1 create a",
        "intent 2 create b",
        "outcome 2 failed ApiError 500",
        "outcome 1 ok",
    ]
    assert dict(result.state.workflows) == {
        "a": entry(spec(name="A"), api.workflows[wf(2)]),
        "removed": state.workflows["removed"],
    }


def test_an_interrupt_skips_every_write_not_yet_started(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    gone = api.add(REMOVED)
    state = lockfile(removed=entry(REMOVED, gone))
    plan = plan_of(
        creating("a", spec(name="A")),
        creating("b", spec(name="B")),
        deleting("removed", gone),
        state=state,
    )
    reported: list[ChangeResult] = []

    result = execute(
        plan,
        api,
        state,
        tmp_path,
        ApplyOptions(parallelism=1, continue_on_error=True),  # no way past an interrupt
        on_result=reported.append,
        interrupted=lambda: bool(api.calls),  # the signal arrived during the first write
    )

    assert statuses(result) == {
        "a": "done",
        "b": "skipped: interrupted",
        "removed": "skipped: interrupted",
    }
    # Each is reported once known: b's skip before a is, whose outcome was still on its way to
    # disk when b was let in.
    assert [r.key for r in reported] == ["b", "a", "removed"]
    assert api.calls == [("create", "A")]
    assert journalled(tmp_path) == ["begin lineage-1 7", "intent 1 create a", "outcome 1 ok"]
    assert sorted(result.state.workflows) == ["a", "removed"]
    assert result.state.serial == 8


def test_secrets_are_masked_in_the_journal_and_the_lockfile(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    plan = plan_of(creating("new", spec(name="Welcome s3cr3t")), state=state)

    result = execute(plan, api, state, tmp_path, ApplyOptions(), secrets=Redactor(["s3cr3t"]))

    assert api.workflows[wf(1)].name == "Welcome s3cr3t"
    assert result.state.workflows["new"].name == "Welcome (sensitive)"
    assert [i.name for i in intents(tmp_path)] == ["Welcome (sensitive)"]
    assert "s3cr3t" not in (tmp_path / "journal.jsonl").read_text()


def test_what_a_write_records_says_where_the_files_put_secrets(tmp_path: Path) -> None:
    """The places the desired workflow gives, not the lockfile's: the write replaced them."""
    api = InMemoryWorkflowApi()
    edited = api.add(APPLIED)
    recorded = entry(APPLIED, edited).model_copy(update={"secret_paths": (("name",),)})
    state = lockfile(edited=recorded)
    api.lose_next_create("Lost", created=False)
    plan = plan_of(
        creating("new", NEW),
        updating("edited", edited, EDITED),
        creating("lost", spec(name="Lost")),
        state=state,
    )
    places = {"new": (("name",),), "lost": (("description",),)}

    result = execute(plan, api, state, tmp_path, ApplyOptions(parallelism=1), secret_paths=places)

    assert result.state.workflows["new"].secret_paths == (("name",),)
    assert result.state.workflows["edited"].secret_paths == ()  # the files put none there now
    assert result.state.pending["lost"].secret_paths == (("description",),)
    assert [o.entry for o in outcomes(tmp_path).values()] == [
        result.state.workflows["new"],
        result.state.workflows["edited"],
    ]


def test_a_second_interrupt_cancels_the_writes_in_flight(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    edited, removed = api.add(APPLIED), api.add(REMOVED)  # wf(1), wf(2)
    state = lockfile(edited=entry(APPLIED, edited), removed=entry(REMOVED, removed))
    plan = plan_of(
        creating("a", spec(name="A")),
        updating("edited", edited, EDITED),
        creating("c", spec(name="C")),
        deleting("removed", removed),
        state=state,
    )
    api.hold_next("create", "A")  # never answered
    api.hold_next("patch", edited.id)
    reported: list[str] = []

    result = execute(
        plan,
        api,
        state,
        tmp_path,
        ApplyOptions(parallelism=2),
        on_result=lambda r: reported.append(r.key),
        interrupted=lambda: len(api.calls) == 2,  # the first Ctrl-C, once both are in flight
        stop_when=lambda: len(api.calls) == 2,  # the second
    )

    cancelled = "failed: cancelled in flight by a second interrupt; the next run settles it"
    assert statuses(result) == {
        "a": cancelled,
        "edited": cancelled,
        "c": "skipped: interrupted",
        "removed": "skipped: interrupted",
    }
    assert sorted(reported) == ["a", "c", "edited", "removed"]
    assert api.calls == [("create", "A"), ("patch", wf(1))]
    assert journalled(tmp_path) == [
        "begin lineage-1 7",
        "intent 1 create a",
        "intent 2 update edited",
    ]
    # The create becomes pending in the lockfile; the update's fate stays with the journal.
    a = spec(name="A")
    assert dict(result.state.pending) == {
        "a": pending_create(a, desired_fingerprint(a, SALT), SALT, False, sent_at=api.served[0])
    }
    assert result.unresolved == ("edited",)
    assert result.state.workflows == state.workflows
    assert result.state.serial == 8
    assert api.workflows.keys() == {wf(1), wf(2)}
    assert api.workflows[wf(1)] == edited


def test_a_write_outcome_goes_to_disk_with_the_next_write_intent(tmp_path: Path) -> None:
    """One fsync per write: the next write, let in as one finishes, puts its intent in the batch
    of that one's outcome instead of waiting for a second fsync behind it."""
    api = InMemoryWorkflowApi()
    state = lockfile()
    plan = plan_of(*(creating(k, spec(name=k.upper())) for k in "abc"), state=state)
    batches: list[list[str]] = []

    def write(fd: int, data: bytes) -> int:
        batches.append([json.loads(line)["type"] for line in data.splitlines()])
        return os.write(fd, data)

    result = execute(plan, api, state, tmp_path, ApplyOptions(parallelism=1), journal_write=write)

    assert statuses(result) == {"a": "done", "b": "done", "c": "done"}
    assert batches == [
        ["begin"],
        ["intent"],
        ["outcome", "intent"],
        ["outcome", "intent"],
        ["outcome"],
    ]


def failing_write(call: int, code: int = errno.ENOSPC) -> Callable[[int, bytes], int]:
    """A journal's low-level write that fails like a full disk on its `call`-th use (1-based)."""
    calls = 0

    def write(fd: int, data: bytes) -> int:
        nonlocal calls
        calls += 1
        if calls == call:
            raise OSError(code, os.strerror(code))
        return os.write(fd, data)

    return write


def test_an_intent_the_journal_cannot_record_stops_the_run_before_its_write(
    tmp_path: Path,
) -> None:
    api = InMemoryWorkflowApi()
    edited = api.add(APPLIED)
    state = lockfile(edited=entry(APPLIED, edited))
    plan = plan_of(
        creating("a", spec(name="A")),
        updating("edited", edited, EDITED),
        creating("c", spec(name="C")),
        state=state,
    )
    options = ApplyOptions(parallelism=1, continue_on_error=True)  # no way past a broken journal

    # writes: begin, intent 1, then outcome 1 with intent 2 (the update's) in one batch, which
    # the disk refuses: the create is done and known, so the lockfile still records it
    result = execute(plan, api, state, tmp_path, options, journal_write=failing_write(3))

    journal = tmp_path / "journal.jsonl"
    assert statuses(result) == {
        "a": "done",
        "edited": f"failed: {journal}: cannot write the journal (No space left on device); "
        "nothing was sent for this write",
        "c": EARLIER,
    }
    assert api.calls == [("create", "A")]  # nothing sent for the update
    assert api.workflows[wf(1)] == edited
    assert journalled(tmp_path) == ["begin lineage-1 7", "intent 1 create a"]
    assert dict(result.state.workflows) == {
        "a": entry(spec(name="A"), api.workflows[wf(2)]),
        "edited": state.workflows["edited"],
    }
    assert (result.state.pending, result.unresolved) == ({}, ())


def test_a_journal_that_cannot_record_its_begin_line_sends_nothing(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    plan = plan_of(creating("new", NEW), state=state)

    with pytest.raises(JournalWriteError, match="nothing was sent"):
        execute(plan, api, state, tmp_path, ApplyOptions(), journal_write=failing_write(1))

    assert api.calls == []
    assert journalled(tmp_path) == []


def test_a_create_whose_outcome_the_journal_cannot_record_is_not_lost(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    plan = plan_of(creating("new", NEW), state=state)

    # writes: begin, intent 1, outcome 1 (refused by the disk, after the create was answered)
    result = execute(plan, api, state, tmp_path, ApplyOptions(), journal_write=failing_write(3))

    assert api.calls == [("create", "New")]
    assert list(api.workflows) == [wf(1)]  # it was made
    assert journalled(tmp_path) == ["begin lineage-1 7", "intent 1 create new"]
    carried = {*result.state.workflows, *result.state.pending, *result.unresolved}
    assert "new" in carried
