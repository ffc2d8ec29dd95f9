"""Settling the journal of an interrupted apply, then the pending creates, against an in-memory
workspace, the way a run does before it plans (`preparation._settle`): one listing, `settle_journal`
against it, then `settle_pending` of the state that gives.

The decision table journals one create ("new"), one update ("edited") and one delete ("removed"),
each with an outcome (`done`, `refused`) or without one (`unanswered`: the write happened on the
server or not), and checks what the settled lockfile records, the note for each write and the exact
API calls the settlement spent. The next run starts a minute after the interrupted one, so an
unanswered create that the listing does not show is surely absent by then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from onepin_sync.core.models import (
    Action,
    DesiredState,
    StateEntry,
)
from onepin_sync.state.journal import JournalBegin, JournalIntent, JournalLine
from onepin_sync.state.recovery import Settlement
from tests.commands.fake_api import Call, InMemoryWorkflowApi, wf
from tests.core.builders import desired, entry, lockfile, migrated, spec
from tests.state.journals import (
    AFTER,
    APPLIED,
    BEGIN,
    EDITED,
    KEPT,
    LISTED,
    NEW,
    NEXT_RUN,
    REMOVED,
    absent_again,
    done,
    intent,
    recover,
    refused,
    settle,
)

# --- the decision table --------------------------------------------------------------------------

HAPPENED = "unanswered, happened"
NOT_HAPPENED = "unanswered, did not happen"


@dataclass(frozen=True)
class Row:
    id: str
    create: str | None  # how the create of "new" ended: "done", "refused", HAPPENED, NOT_HAPPENED
    update: str | None  # the same for the update of "edited"
    delete: str | None  # the same for the delete of "removed"
    lockfile: dict[str, str]  # key -> "recorded" (what the write earned) or "as before"
    notes: list[str]
    calls: list[Call]
    serial: int
    begin: tuple[str, int] = ("lineage-1", 7)  # the lineage and serial the apply started from
    files: str = "as journalled"  # or "changed since" or "removed since" ("new" and "edited")
    kept_state: bool = False  # the settlement hands back the very same state
    foreign: bool = False  # the journal is kept aside


FOREIGN = (
    "the journal of an interrupted apply belongs to another lockfile (lineage lineage-2, this one "
    "is lineage-1); it is kept aside, unsettled"
)
ALL_DONE = [
    "new: create had completed; recorded",
    "edited: update had completed; recorded",
    "removed: delete had completed; recorded",
]
TABLE = [
    Row(
        "done outcomes are recorded",
        create="done",
        update="done",
        delete="done",
        lockfile={"edited": "recorded", "new": "recorded"},
        notes=ALL_DONE,
        calls=LISTED,
        serial=8,
    ),
    Row(
        "done outcomes are recorded although the serial moved since (a git pull)",
        begin=("lineage-1", 3),
        create="done",
        update="done",
        delete="done",
        lockfile={"edited": "recorded", "new": "recorded"},
        notes=ALL_DONE,
        calls=LISTED,
        serial=8,
    ),
    Row(
        "refused writes are ignored",
        create="refused",
        update="refused",
        delete="refused",
        lockfile={"edited": "as before", "removed": "as before"},
        notes=[],
        calls=LISTED,
        serial=7,
        kept_state=True,
    ),
    Row(
        "unanswered writes that happened are found and recorded (the create: adopted)",
        create=HAPPENED,
        update=HAPPENED,
        delete=HAPPENED,
        lockfile={"edited": "recorded", "new": "recorded"},
        notes=[
            "edited: interrupted update had completed",
            "removed: interrupted delete had completed",
            f"new: interrupted create had completed; adopted {wf(4)}",
        ],
        calls=[*LISTED, ("get", wf(3))],  # the update checked against the listing
        serial=9,
    ),
    Row(
        "unanswered writes that did not happen are left for the next plan",
        create=NOT_HAPPENED,
        update=NOT_HAPPENED,
        delete=NOT_HAPPENED,
        lockfile={"edited": "as before", "removed": "as before"},
        notes=[
            "edited: interrupted update had not landed; it is planned again",
            "removed: interrupted delete had not happened; it is planned again",
            absent_again("new"),
        ],
        calls=LISTED,  # the delete's workflow is listed: no GET
        serial=9,
    ),
    Row(
        "a journal of another lineage is kept aside, unsettled",
        begin=("lineage-2", 7),
        create="done",
        update=HAPPENED,
        delete=HAPPENED,
        lockfile={"edited": "as before", "removed": "as before"},
        notes=[FOREIGN],
        calls=LISTED,
        serial=7,
        kept_state=True,
        foreign=True,
    ),
    Row(
        "files changed since: an unanswered update cannot be checked; a create is still adopted",
        files="changed since",
        create=HAPPENED,
        update=HAPPENED,
        delete=HAPPENED,
        lockfile={"edited": "as before", "new": "recorded"},
        notes=[
            "edited: interrupted update cannot be checked (its file changed since)",
            "removed: interrupted delete had completed",
            f"new: interrupted create had completed; adopted {wf(4)}",
        ],
        calls=[*LISTED, ("get", wf(3))],
        serial=9,
    ),
    Row(
        "files removed since: an unanswered update cannot be checked; a create is still adopted",
        files="removed since",
        create=HAPPENED,
        update=HAPPENED,
        delete=None,
        lockfile={"edited": "as before", "removed": "as before", "new": "recorded"},
        notes=[
            "edited: interrupted update cannot be checked (its file changed since)",
            f"new: interrupted create had completed; adopted {wf(4)}",
        ],
        calls=LISTED,
        serial=9,
    ),
]


def _files(files: str) -> DesiredState:
    if files == "changed since":
        again = "Edited again"
        return desired(
            ("kept", KEPT),
            ("edited", spec(name="Edited", description=again)),
            ("new", spec(name="New", description=again)),
        )
    if files == "removed since":
        return desired(("kept", KEPT))
    return desired(("kept", KEPT), ("edited", EDITED), ("new", NEW))


@pytest.mark.parametrize("row", TABLE, ids=[r.id for r in TABLE])
def test_decision_table(row: Row) -> None:
    api = InMemoryWorkflowApi()
    kept, edited, removed = api.add(KEPT), api.add(APPLIED), api.add(REMOVED)  # wf(1), 2, 3
    state = lockfile(
        kept=entry(KEPT, kept), edited=entry(APPLIED, edited), removed=entry(REMOVED, removed)
    )
    api.clock.advance(timedelta(minutes=5))  # the interrupted apply starts
    lineage, serial = row.begin
    lines: list[JournalLine] = [JournalBegin(lineage=lineage, serial=serial)]
    writes: list[tuple[str | None, JournalIntent, Callable[[], StateEntry | None]]] = [
        (
            row.create,
            intent(1, "new", Action.CREATE, api, after=NEW),
            lambda: entry(NEW, api.add(NEW)),
        ),
        (
            row.update,
            intent(2, "edited", Action.UPDATE, api, after=EDITED, remote_id=edited.id),
            lambda: entry(EDITED, api.edit(edited.id, {"description": EDITED.description})),
        ),
        (
            row.delete,
            intent(3, "removed", Action.DELETE, api, remote_id=removed.id),
            lambda: api.drop(removed.id),
        ),
    ]
    for how, started, happen in writes:
        if how is None:
            continue
        lines.append(started)
        earned = happen() if how in ("done", HAPPENED) else None
        if how == "done":
            lines.append(done(started.op, earned))
        elif how == "refused":
            lines.append(refused(started.op))
    api.clock.advance(NEXT_RUN)

    recovered = recover(lines, state, _files(row.files), api)

    by_name = {w.name: w for w in api.workflows.values()}
    assert dict(recovered.state.workflows) == {
        "kept": state.workflows["kept"],
        **{
            key: state.workflows[key]
            if how == "as before"
            else entry(AFTER[key], by_name[AFTER[key].name])
            for key, how in row.lockfile.items()
        },
    }
    assert recovered.state.pending == {}
    assert list(recovered.notes) == row.notes
    assert api.calls == row.calls
    assert recovered.state.serial == row.serial
    assert (recovered.state is state) is row.kept_state
    assert recovered.journal.foreign is row.foreign
    assert recovered.journal.lineage_of_journal == ("lineage-2" if row.foreign else "")


# --- done outcomes the lockfile moved past -------------------------------------------------------


def test_done_outcomes_the_lockfile_already_holds_are_not_recorded_again() -> None:
    api = InMemoryWorkflowApi()
    edited, removed = api.add(APPLIED), api.add(REMOVED)
    lines: list[JournalLine] = [
        BEGIN,
        intent(1, "new", Action.CREATE, api, after=NEW),
        intent(2, "edited", Action.UPDATE, api, after=EDITED, remote_id=edited.id),
        intent(3, "removed", Action.DELETE, api, remote_id=removed.id),
    ]
    made = entry(NEW, api.add(NEW))
    patched = entry(EDITED, api.edit(edited.id, {"description": EDITED.description}))
    api.drop(removed.id)
    lines += [done(1, made), done(2, patched), done(3, None)]
    state = lockfile(new=made, edited=patched)  # recorded by then (a git pull of its lockfile)

    recovered = recover(lines, state, desired(("new", NEW), ("edited", EDITED)), api)

    assert recovered.state is state
    assert recovered.notes == ()
    assert api.calls == LISTED


def test_a_done_update_a_later_write_superseded_is_not_recorded() -> None:
    api = InMemoryWorkflowApi()
    edited = api.add(APPLIED)
    lines: list[JournalLine] = [
        BEGIN,
        intent(1, "edited", Action.UPDATE, api, after=EDITED, remote_id=edited.id),
    ]
    lines.append(done(1, entry(EDITED, api.edit(edited.id, {"description": EDITED.description}))))
    again = spec(name="Edited", description="Greets everyone, twice")
    later = entry(again, api.edit(edited.id, {"description": again.description}))
    state = lockfile(edited=later)  # a later apply, pulled from git

    recovered = recover(lines, state, desired(("edited", again)), api)

    assert recovered.state is state
    assert recovered.notes == ()


def test_a_done_create_whose_key_the_lockfile_gives_to_another_workflow_is_reported() -> None:
    api = InMemoryWorkflowApi()
    other = entry(NEW, api.add(NEW))  # wf(1): made for "new" elsewhere, pulled from git
    state = lockfile(new=other)
    lines: list[JournalLine] = [BEGIN, intent(1, "new", Action.CREATE, api, after=NEW)]
    lines.append(done(1, entry(NEW, api.add(NEW))))  # wf(2)

    recovered = recover(lines, state, desired(("new", NEW)), api)

    assert recovered.state is state
    assert recovered.notes == (
        f"new: the interrupted apply made {wf(2)}, but the lockfile now manages {wf(1)} for this "
        f"key; {wf(2)} is left unmanaged (import it, or delete it in Onepin)",
    )


def test_a_done_create_recorded_under_another_key_since_is_not_recorded_again() -> None:
    api = InMemoryWorkflowApi()
    lines: list[JournalLine] = [BEGIN, intent(1, "new", Action.CREATE, api, after=NEW)]
    made = entry(NEW, api.add(NEW))
    lines.append(done(1, made))
    state = lockfile(renamed=made)  # its file was renamed since, and the lockfile followed

    recovered = recover(lines, state, desired(("renamed", NEW)), api)

    assert recovered.state is state
    assert recovered.notes == ()


# --- unanswered updates and deletes --------------------------------------------------------------


def test_an_unanswered_update_the_server_stored_in_its_own_form_is_recorded() -> None:
    api = InMemoryWorkflowApi()
    edited = api.add(APPLIED)
    state = lockfile(edited=entry(APPLIED, edited))
    lines: list[JournalLine] = [
        BEGIN,
        intent(1, "edited", Action.UPDATE, api, after=EDITED, remote_id=edited.id),
    ]
    stored = migrated(EDITED)  # config_version, config defaults, float positions
    assert stored != EDITED
    patched = api.edit(edited.id, stored.to_api())

    recovered = recover(lines, state, desired(("edited", EDITED)), api)

    assert recovered.notes == ("edited: interrupted update had completed",)
    assert dict(recovered.state.workflows) == {"edited": entry(EDITED, patched)}
    assert api.calls == LISTED  # checked against the run's listing: no GET


def test_what_recovery_records_says_where_the_files_put_secrets() -> None:
    """An update it finds landed records the files' places; an adopted create, its pending's."""
    api = InMemoryWorkflowApi()
    edited = api.add(APPLIED)
    state = lockfile(
        edited=entry(APPLIED, edited).model_copy(update={"secret_paths": (("name",),)})
    )
    create = intent(2, "new", Action.CREATE, api, after=NEW)
    assert create.pending is not None
    placed = create.pending.model_copy(update={"secret_paths": (("description",),)})
    update = intent(1, "edited", Action.UPDATE, api, after=EDITED, remote_id=edited.id)
    lines: list[JournalLine] = [BEGIN, update, create.model_copy(update={"pending": placed})]
    api.edit(edited.id, EDITED.to_api())
    api.add(NEW)
    api.clock.advance(NEXT_RUN)
    want = desired(("edited", EDITED), ("new", NEW))
    file = want.workflows["edited"].model_copy(update={"secret_paths": (("description",),)})
    want = want.model_copy(update={"workflows": {**want.workflows, "edited": file}})

    recovered = recover(lines, state, want, api)

    assert recovered.state.workflows["edited"].secret_paths == (("description",),)
    assert recovered.state.workflows["new"].secret_paths == (("description",),)


def test_an_unanswered_delete_the_listing_lacks_is_confirmed_by_a_get() -> None:
    api = InMemoryWorkflowApi()
    removed = api.add(REMOVED)
    state = lockfile(removed=entry(REMOVED, removed))
    lines: list[JournalLine] = [BEGIN, intent(1, "removed", Action.DELETE, api, remote_id=wf(1))]

    settled = settle(lines, state, desired(), api, {})  # a listing that does not show it

    assert settled.notes == ("removed: interrupted delete had not happened; it is planned again",)
    assert settled.state is state
    assert api.calls == [("get", wf(1))]  # absence from a listing never means deleted


def test_a_journal_without_its_begin_line_is_ignored() -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    lines: list[JournalLine] = [intent(1, "new", Action.CREATE, api, after=NEW)]
    made = api.add(NEW)

    settled = settle(lines, state, desired(("new", NEW)), api, {made.id: made})

    assert settled == Settlement(state, ())
    assert api.calls == []
