"""Unanswered creates in the journal of an interrupted apply: recorded as pending, then settled
against the listing (adopted by name, structure and server time, or forgotten once surely absent),
never adopting a workflow twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from onepin_sync.core.fingerprint import IgnoreRules, remote_fingerprint
from onepin_sync.core.matching import SETTLE_AFTER
from onepin_sync.core.models import (
    Action,
)
from onepin_sync.state.journal import JournalLine
from tests.commands.fake_api import InMemoryWorkflowApi, wf
from tests.core.builders import SALT, desired, entry, lockfile, migrated, spec
from tests.state.journals import (
    BEGIN,
    LISTED,
    NEW,
    NEXT_RUN,
    absent_again,
    done,
    intent,
    recover,
)

# --- unanswered creates: pending, then settled ---------------------------------------------------


@pytest.mark.parametrize(
    "twin",
    [
        "managed",
        "made before the intent, beyond the clock skew",
        "of another structure",
        "named in another case",
    ],
)
def test_an_unanswered_create_never_adopts(twin: str) -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    if twin == "managed":
        state = lockfile(other=entry(NEW, api.add(NEW)))
    elif twin.startswith("made before"):
        api.add(NEW)
        api.clock.advance(timedelta(seconds=4))
    sent = intent(1, "new", Action.CREATE, api, after=NEW)
    lines: list[JournalLine] = [BEGIN, sent]
    if twin == "of another structure":
        api.add(spec(name="New", extra_node=True))
    elif twin == "named in another case":
        api.add(spec(name="new"))
    api.clock.advance(NEXT_RUN)

    recovered = recover(lines, state, desired(("new", NEW)), api)

    assert recovered.notes == (absent_again("new"),)
    assert dict(recovered.journal.state.pending) == {"new": sent.pending}
    assert recovered.state.workflows == state.workflows
    assert recovered.state.pending == {}
    assert api.calls == LISTED


@pytest.mark.parametrize(
    "stored",
    ["as sent", "in the server's own form", "with other configs"],
)
def test_an_unanswered_create_adopts_what_it_made_by_name_and_structure(stored: str) -> None:
    api = InMemoryWorkflowApi()
    lines: list[JournalLine] = [BEGIN, intent(1, "new", Action.CREATE, api, after=NEW)]
    kept = {
        "as sent": NEW,
        "in the server's own form": migrated(NEW),
        "with other configs": spec(name="New", speed=1.5),  # edited since, or a newer server
    }[stored]
    made = api.add(kept)
    api.clock.advance(NEXT_RUN)

    recovered = recover(lines, lockfile(), desired(("new", NEW)), api)

    assert recovered.notes == (f"new: interrupted create had completed; adopted {wf(1)}",)
    assert dict(recovered.state.workflows) == {"new": entry(NEW, made)}  # NEW's applied hash
    assert recovered.state.pending == {}


def test_an_adopted_create_records_the_lifecycle_flags_and_rules_its_file_had() -> None:
    api = InMemoryWorkflowApi()
    sent = intent(1, "new", Action.CREATE, api, after=NEW)
    assert sent.pending is not None
    flags = {"destroy": False, "ignore_changes": ("description",)}
    lines: list[JournalLine] = [
        BEGIN,
        sent.model_copy(update={"pending": sent.pending.model_copy(update=flags)}),
    ]
    made = api.add(NEW)
    api.clock.advance(NEXT_RUN)

    recovered = recover(lines, lockfile(), desired(), api)

    adopted = recovered.state.workflows["new"]
    assert (adopted.destroy, adopted.ignore_changes) == (False, ("description",))
    rules = IgnoreRules.of(("description",))
    assert adopted.remote_hash == remote_fingerprint(made.spec, SALT, rules)


@pytest.mark.parametrize(("before", "adopted"), [(2, True), (4, False)], ids=["2 s", "4 s"])
def test_the_clock_skew_bounds_how_long_before_its_intent_it_may_seem_made(
    before: int, adopted: bool
) -> None:
    api = InMemoryWorkflowApi()
    made = api.add(NEW)  # by the create itself, on a server whose clock runs behind
    api.clock.advance(timedelta(seconds=before))
    lines: list[JournalLine] = [BEGIN, intent(1, "new", Action.CREATE, api, after=NEW)]
    api.clock.advance(NEXT_RUN)

    recovered = recover(lines, lockfile(), desired(("new", NEW)), api)

    if adopted:
        assert dict(recovered.state.workflows) == {"new": entry(NEW, made)}
    else:
        assert recovered.notes == (absent_again("new"),)
        assert recovered.state.workflows == {}


def test_two_identical_unanswered_creates_adopt_two_different_workflows() -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    lines: list[JournalLine] = [
        BEGIN,
        intent(1, "a", Action.CREATE, api, after=NEW),
        intent(2, "b", Action.CREATE, api, after=NEW),
    ]
    api.add(NEW)
    api.add(NEW)

    recovered = recover(lines, state, desired(("a", NEW), ("b", NEW)), api)

    assert recovered.notes == (
        f"a: interrupted create had completed; adopted {wf(2)}",  # the newest candidate first
        f"b: interrupted create had completed; adopted {wf(1)}",
    )
    assert {k: e.id for k, e in recovered.state.workflows.items()} == {"a": wf(2), "b": wf(1)}
    assert api.calls == LISTED


def test_an_unanswered_create_never_adopts_what_a_done_create_of_the_same_journal_made() -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    lines: list[JournalLine] = [
        BEGIN,
        intent(1, "a", Action.CREATE, api, after=NEW),
        intent(2, "b", Action.CREATE, api, after=NEW),  # both in flight together
    ]
    created = api.add(NEW)  # a's create was answered; b's was never sent (killed before)
    lines.append(done(1, entry(NEW, created)))
    api.clock.advance(NEXT_RUN)

    recovered = recover(lines, state, desired(("a", NEW), ("b", NEW)), api)

    assert {k: e.id for k, e in recovered.journal.state.workflows.items()} == {"a": wf(1)}
    assert list(recovered.journal.state.pending) == ["b"]
    assert {k: e.id for k, e in recovered.state.workflows.items()} == {"a": wf(1)}
    assert recovered.state.pending == {}
    assert recovered.notes == ("a: create had completed; recorded", absent_again("b"))


def test_an_unanswered_create_the_lockfile_records_already_is_not_pending() -> None:
    api = InMemoryWorkflowApi()
    lines: list[JournalLine] = [BEGIN, intent(1, "new", Action.CREATE, api, after=NEW)]
    state = lockfile(new=entry(NEW, api.add(NEW)))  # its outcome reached the lockfile elsewhere

    recovered = recover(lines, state, desired(("new", NEW)), api)

    assert recovered.state is state
    assert recovered.notes == ()


def test_an_unanswered_create_from_an_older_onepin_sync_cannot_be_matched() -> None:
    api = InMemoryWorkflowApi()
    old = intent(1, "new", Action.CREATE, api, after=NEW).model_copy(update={"pending": None})
    api.add(NEW)

    recovered = recover([BEGIN, old], lockfile(), desired(("new", NEW)), api)

    assert recovered.notes == (
        "new: an interrupted create from an older onepin-sync cannot be matched",
    )
    assert recovered.state.workflows == {}
    assert recovered.state.pending == {}


@dataclass(frozen=True)
class Chain:
    id: str
    made: bool  # whether the unanswered create made its workflow
    listed_after: timedelta  # when the next run lists, after the create was sent
    adopted: bool
    kept: bool  # still pending after the settlement


CHAINS = [
    Chain(
        "made: adopted, however young",
        made=True,
        listed_after=timedelta(seconds=1),
        adopted=True,
        kept=False,
    ),
    Chain(
        "not made, listed past SETTLE_AFTER: surely absent, forgotten",
        made=False,
        listed_after=SETTLE_AFTER + timedelta(seconds=2),
        adopted=False,
        kept=False,
    ),
    Chain(
        "not made, listed once a client's timeout passed: the server may still make it, kept",
        made=False,
        listed_after=timedelta(seconds=35),
        adopted=False,
        kept=True,
    ),
    Chain(
        "not made, listed too soon: kept pending",
        made=False,
        listed_after=timedelta(seconds=1),
        adopted=False,
        kept=True,
    ),
]


@pytest.mark.parametrize("source", ["journal", "lockfile"])
@pytest.mark.parametrize("chain", CHAINS, ids=[c.id for c in CHAINS])
def test_a_pending_create_is_settled_against_the_listing(chain: Chain, source: str) -> None:
    """From this machine's journal, or from a lockfile pending entry an earlier run left on
    another machine (no journal here): the same settlement."""
    api = InMemoryWorkflowApi()
    sent = intent(1, "new", Action.CREATE, api, after=NEW)
    assert sent.pending is not None
    state = lockfile()
    lines: list[JournalLine] = [BEGIN, sent]
    if source == "lockfile":
        state, lines = state.model_copy(update={"pending": {"new": sent.pending}}), []
    made = api.add(NEW) if chain.made else None
    api.clock.advance(chain.listed_after)

    recovered = recover(lines, state, desired(("new", NEW)), api)

    assert dict(recovered.journal.state.pending) == {"new": sent.pending}
    if chain.adopted:
        assert recovered.notes == (f"new: interrupted create had completed; adopted {wf(1)}",)
        assert made is not None
        assert dict(recovered.state.workflows) == {"new": entry(NEW, made)}
    else:
        assert recovered.state.workflows == {}
    if chain.kept:
        assert recovered.notes == (
            f"new: a create sent at {sent.started_at.isoformat()} is still unanswered; nothing "
            "is planned for it until it settles (run again in a few minutes)",
        )
        assert dict(recovered.state.pending) == {"new": sent.pending}
        assert recovered.state is recovered.journal.state
    else:
        assert recovered.state.pending == {}
        assert recovered.state.serial > recovered.journal.state.serial
    if not chain.adopted and not chain.kept:
        assert recovered.notes == (absent_again("new"),)
    assert api.calls == LISTED
