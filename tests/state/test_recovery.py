"""Settling the journal of an interrupted apply against an in-memory workspace.

The decision table journals one create ("new"), one update ("edited") and one delete ("removed"),
each with an outcome (`done`, `refused`) or without one (`unanswered`: the write happened on the
server or not), and checks what the settled lockfile records, the note for each write and the exact
API calls the lookups spent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from onepin_sync.core.fingerprint import desired_fingerprint
from onepin_sync.core.models import Action, DesiredState, StateEntry, StateFile, WorkflowSpec
from onepin_sync.state.journal import JournalBegin, JournalIntent, JournalLine, JournalOutcome
from onepin_sync.state.recovery import Settlement, settle_journal
from tests.commands.fake_api import Call, InMemoryWorkflowApi
from tests.core.builders import SALT, desired, entry, lockfile, migrated, spec

KEPT = spec(name="Kept")
APPLIED = spec(name="Edited")  # what the lockfile says was applied to "edited"
EDITED = spec(name="Edited", description="Greets everyone")  # what the update was writing
REMOVED = spec(name="Removed")
NEW = spec(name="New")
AFTER = {"new": NEW, "edited": EDITED}


def settle(
    lines: list[JournalLine], state: StateFile, want: DesiredState, api: InMemoryWorkflowApi
) -> Settlement:
    return asyncio.run(settle_journal(lines, state, want, api))


def intent(
    op: int,
    key: str,
    action: Action,
    api: InMemoryWorkflowApi,
    *,
    after: WorkflowSpec | None = None,
    remote_id: str | None = None,
) -> JournalIntent:
    """The intent the executor journals just before a write, started now by `api`'s clock."""
    return JournalIntent(
        op=op,
        key=key,
        action=action,
        remote_id=remote_id,
        name=after.name if after else None,
        applied_hash=desired_fingerprint(after, SALT) if after else None,
        started_at=api.clock(),
    )


def done(op: int, recorded: StateEntry | None) -> JournalOutcome:
    return JournalOutcome(op=op, ok=True, entry=recorded)


def refused(op: int) -> JournalOutcome:
    return JournalOutcome(op=op, ok=False, error="ApiError 500")


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


EVERY_LOOKUP: list[Call] = [("list",), ("get", "wf-2"), ("get", "wf-3")]
TABLE = [
    Row(
        "done outcomes are recorded",
        create="done",
        update="done",
        delete="done",
        lockfile={"edited": "recorded", "new": "recorded"},
        notes=[
            "new: create had completed; recorded",
            "edited: update had completed; recorded",
            "removed: delete had completed; recorded",
        ],
        calls=[],
        serial=8,
    ),
    Row(
        "refused writes are ignored",
        create="refused",
        update="refused",
        delete="refused",
        lockfile={"edited": "as before", "removed": "as before"},
        notes=[],
        calls=[],
        serial=7,
        kept_state=True,
    ),
    Row(
        "unanswered writes that happened are found and recorded",
        create=HAPPENED,
        update=HAPPENED,
        delete=HAPPENED,
        lockfile={"edited": "recorded", "new": "recorded"},
        notes=[
            "new: interrupted create had completed; adopted wf-4",
            "edited: interrupted update had completed",
            "removed: interrupted delete had completed",
        ],
        calls=EVERY_LOOKUP,
        serial=8,
    ),
    Row(
        "unanswered writes that did not happen are left for the next plan",
        create=NOT_HAPPENED,
        update=NOT_HAPPENED,
        delete=NOT_HAPPENED,
        lockfile={"edited": "as before", "removed": "as before"},
        notes=[
            "new: interrupted create had not happened; it is planned again",
            "edited: interrupted update had not landed; it is planned again",
            "removed: interrupted delete had not happened; it is planned again",
        ],
        calls=EVERY_LOOKUP,
        serial=7,
        kept_state=True,
    ),
    Row(
        "a journal of another lineage is ignored",
        begin=("lineage-2", 7),
        create="done",
        update=HAPPENED,
        delete=HAPPENED,
        lockfile={"edited": "as before", "removed": "as before"},
        notes=[],
        calls=[],
        serial=7,
        kept_state=True,
    ),
    Row(
        "compacted: its outcomes are in the lockfile already, its unknown writes looked up",
        begin=("lineage-1", 6),
        create=HAPPENED,
        update="done",
        delete="done",
        lockfile={"edited": "as before", "new": "recorded", "removed": "as before"},
        notes=["new: interrupted create had completed; adopted wf-4"],
        calls=[("list",)],
        serial=8,
    ),
    Row(
        "files changed since: an unanswered create or update cannot be checked",
        files="changed since",
        create=HAPPENED,
        update=HAPPENED,
        delete=HAPPENED,
        lockfile={"edited": "as before"},
        notes=[
            "new: interrupted create cannot be checked (its file changed since)",
            "edited: interrupted update cannot be checked (its file changed since)",
            "removed: interrupted delete had completed",
        ],
        calls=[("get", "wf-3")],
        serial=8,
    ),
    Row(
        "files removed since: an unanswered create or update cannot be checked",
        files="removed since",
        create=HAPPENED,
        update=HAPPENED,
        delete=None,
        lockfile={"edited": "as before", "removed": "as before"},
        notes=[
            "new: interrupted create cannot be checked (its file changed since)",
            "edited: interrupted update cannot be checked (its file changed since)",
        ],
        calls=[],
        serial=7,
        kept_state=True,
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
    kept, edited, removed = api.add(KEPT), api.add(APPLIED), api.add(REMOVED)  # wf-1, 2, 3
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

    settled = settle(lines, state, _files(row.files), api)

    by_name = {w.name: w for w in api.workflows.values()}
    assert dict(settled.state.workflows) == {
        "kept": state.workflows["kept"],
        **{
            key: state.workflows[key]
            if how == "as before"
            else entry(AFTER[key], by_name[AFTER[key].name])
            for key, how in row.lockfile.items()
        },
    }
    assert list(settled.notes) == row.notes
    assert api.calls == row.calls
    assert settled.state.serial == row.serial
    assert (settled.state is state) is row.kept_state


def test_an_unanswered_update_the_server_stored_in_its_own_form_is_recorded() -> None:
    api = InMemoryWorkflowApi()
    edited = api.add(APPLIED)
    state = lockfile(edited=entry(APPLIED, edited))
    lines: list[JournalLine] = [
        JournalBegin(lineage="lineage-1", serial=7),
        intent(1, "edited", Action.UPDATE, api, after=EDITED, remote_id=edited.id),
    ]
    stored = migrated(EDITED)  # config_version, config defaults, float positions
    assert stored != EDITED
    patched = api.edit(edited.id, stored.to_api())

    settled = settle(lines, state, desired(("edited", EDITED)), api)

    assert settled.notes == ("edited: interrupted update had completed",)
    assert dict(settled.state.workflows) == {"edited": entry(EDITED, patched)}
    assert api.calls == [("get", "wf-1")]


@pytest.mark.parametrize(
    "twin",
    ["managed", "created before the intent", "with another definition"],
)
def test_an_unanswered_create_never_adopts(twin: str) -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    if twin == "managed":
        state = lockfile(other=entry(NEW, api.add(NEW)))
    elif twin == "created before the intent":
        api.add(NEW)
        api.clock.advance(timedelta(minutes=1))
    lines: list[JournalLine] = [
        JournalBegin(lineage="lineage-1", serial=7),
        intent(1, "new", Action.CREATE, api, after=NEW),
    ]
    if twin == "with another definition":
        api.add(spec(name="New", speed=1.5))

    settled = settle(lines, state, desired(("new", NEW)), api)

    assert settled.notes == ("new: interrupted create had not happened; it is planned again",)
    assert settled.state is state
    assert api.calls == [("list",)]


def test_two_identical_unanswered_creates_adopt_two_different_workflows() -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    lines: list[JournalLine] = [
        JournalBegin(lineage="lineage-1", serial=7),
        intent(1, "a", Action.CREATE, api, after=NEW),
        intent(2, "b", Action.CREATE, api, after=NEW),
    ]
    api.add(NEW)
    api.add(NEW)

    settled = settle(lines, state, desired(("a", NEW), ("b", NEW)), api)

    assert settled.notes == (
        "a: interrupted create had completed; adopted wf-2",  # the newest candidate first
        "b: interrupted create had completed; adopted wf-1",
    )
    assert {k: e.id for k, e in settled.state.workflows.items()} == {"a": "wf-2", "b": "wf-1"}
    assert api.calls == [("list",), ("list",)]


@pytest.mark.xfail(
    strict=True,
    reason="recovery does not claim the ids its done outcomes record: an identical unanswered "
    "create adopts the workflow a sibling's done create already made",
)
def test_an_unanswered_create_never_adopts_what_a_done_create_of_the_same_journal_made() -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    lines: list[JournalLine] = [
        JournalBegin(lineage="lineage-1", serial=7),
        intent(1, "a", Action.CREATE, api, after=NEW),
        intent(2, "b", Action.CREATE, api, after=NEW),  # both in flight together
    ]
    created = api.add(NEW)  # a's create was answered; b's was never sent (killed before)
    lines.append(done(1, entry(NEW, created)))

    settled = settle(lines, state, desired(("a", NEW), ("b", NEW)), api)

    assert {k: e.id for k, e in settled.state.workflows.items()} == {"a": "wf-1"}
    assert settled.notes == (
        "a: create had completed; recorded",
        "b: interrupted create had not happened; it is planned again",
    )


def test_a_journal_without_its_begin_line_is_ignored() -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    lines: list[JournalLine] = [intent(1, "new", Action.CREATE, api, after=NEW)]
    api.add(NEW)

    settled = settle(lines, state, desired(("new", NEW)), api)

    assert settled == Settlement(state, ())
    assert api.calls == []
