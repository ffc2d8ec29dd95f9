"""Planning without holding what did not change (`core/settled.py`): the same plans as with
every spec held, for every row of the planner's decision table, and nothing unchanged held."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onepin_sync.core.models import DesiredState, Reason, RemoteState, StateFile
from onepin_sync.core.planner import PlanOptions, plan_changes
from onepin_sync.core.settled import AppliedFiles, ListingSettler, is_settled, unsettled_keys
from tests.core.builders import (
    desired,
    entry,
    file_bytes,
    listed,
    lockfile,
    migrated,
    remote,
    remote_state,
    spec,
)
from tests.core.test_plan import R_A, R_X, TABLE, A, B, Row, _inputs

KEY = "support/welcome"


def lean(
    full: DesiredState, listed: RemoteState, state: StateFile
) -> tuple[DesiredState, RemoteState]:
    """What a lean run plans from: files as applied kept without their spec (from their bytes,
    else once loaded), their listed workflows without their definition, then the files it
    cannot plan without read again."""
    keep = AppliedFiles(state)
    applied = {}
    for key, wanted in full.workflows.items():
        data = file_bytes(wanted.spec, wanted.lifecycle.prevent_destroy)
        file = keep.unchanged(key, wanted.path, data, lambda _: {}) or keep.loaded(wanted)
        if file is not None:
            applied[key] = file
    files = full.model_copy(
        update={
            "workflows": {k: w for k, w in full.workflows.items() if k not in applied},
            "applied": applied,
        }
    )
    settler = ListingSettler(state, applied)
    kept = {wid: settler(w, listed.listed.get(wid)) for wid, w in listed.workflows.items()}
    listed = listed.model_copy(update={"workflows": kept, "settled": frozenset(settler.settled)})
    again = unsettled_keys(files, listed, state)
    files = files.model_copy(
        update={
            "workflows": {**files.workflows, **{k: full.workflows[k] for k in again}},
            "applied": {k: f for k, f in applied.items() if k not in again},
        }
    )
    return files, listed


@pytest.mark.parametrize("files", [True, False], ids=["entries with files", "older entries"])
@pytest.mark.parametrize("row", TABLE, ids=[r.id for r in TABLE])
def test_a_lean_plan_is_the_plan_with_every_spec_held(row: Row, files: bool) -> None:
    want, listed, state = _inputs(row, files)
    options = PlanOptions(refresh_only=row.refresh_only, allow_empty_config=True)
    files, kept = lean(want, listed, state)  # type: ignore[arg-type]

    assert plan_changes(files, kept, state, options) == plan_changes(
        want,  # type: ignore[arg-type]
        listed,
        state,
        options,
    )


def test_an_unchanged_workflow_is_held_without_its_definitions() -> None:
    state = lockfile(support__welcome=entry(A, R_A))
    files, kept = lean(desired((KEY, A)), remote_state(R_A), state)

    assert set(files.applied) == {KEY}
    assert not files.workflows
    assert kept.settled == {R_A.id}
    assert kept.workflows[R_A.id].definition == {}
    assert is_settled(KEY, files, kept, state)


def test_a_drifted_workflow_has_its_file_read_again_and_its_definition_kept() -> None:
    state = lockfile(support__welcome=entry(A, R_A))
    files, kept = lean(desired((KEY, A)), remote_state(R_X), state)

    assert set(files.workflows) == {KEY}
    assert not files.applied
    assert kept.settled == frozenset()
    assert kept.workflows[R_X.id].definition == R_X.definition


def test_a_file_kept_under_a_lockfile_that_moved_on_since_is_read_again() -> None:
    """Another apply ran between reading the files and planning: its entry is not the basis."""
    before = lockfile(support__welcome=entry(A, R_A))
    files, kept = lean(desired((KEY, A)), remote_state(R_A), before)
    newer_spec = spec(name="Welcome v3")
    newer_remote = remote(migrated(newer_spec))
    after = lockfile(support__welcome=entry(newer_spec, newer_remote))

    assert unsettled_keys(files, kept, after) == [KEY]
    with pytest.raises(ValueError, match="must be read again"):
        plan_changes(files, kept, after)


def test_a_listing_read_again_keeps_its_latest_read() -> None:
    """The listing changed while it was read: a workflow settled on the first read and edited
    before the second is not settled."""
    state = lockfile(support__welcome=entry(A, R_A))
    applied_a = AppliedFiles(state).loaded(desired((KEY, A)).workflows[KEY])
    assert applied_a is not None
    settler = ListingSettler(state, {KEY: applied_a})
    settler(R_A, None)
    settler(R_X, None)

    assert settler.settled == set()


def test_a_listed_workflow_spelled_as_recorded_is_settled_by_its_digest_alone() -> None:
    """The entry's `listed_hash` vouches for the text: its fingerprint is not taken (here it
    would not match, the entry's remote hash being another's); other text is fingerprinted."""
    state = lockfile(support__welcome=entry(A, R_A, with_file=True))
    vouched = state.workflows[KEY].model_copy(update={"remote_hash": "sha256:another"})
    state = lockfile(support__welcome=vouched)
    applied = AppliedFiles(state).loaded(desired((KEY, A)).workflows[KEY])
    assert applied is not None

    as_recorded = ListingSettler(state, {KEY: applied})
    as_recorded(R_A, listed(R_A))
    assert as_recorded.settled == {R_A.id}
    spelled_otherwise = ListingSettler(state, {KEY: applied})
    spelled_otherwise(R_A, listed(R_X))
    assert spelled_otherwise.settled == set()
    assert spelled_otherwise.digests == {R_A.id: listed(R_X)}


def test_a_changed_file_against_a_workflow_listed_as_recorded_takes_no_remote_fingerprint() -> None:
    """A pull request's plan, an apply's verification: the file changed, the workspace copy is
    spelled as the entry's `listed_hash` records, so it is the spec of the entry's remote hash
    without taking its canonical form (here that would not match, the entry's remote hash being
    another's, read before a later write: a conflict). Spelled otherwise, it is fingerprinted."""
    recorded = entry(A, R_A, with_file=True).model_copy(
        update={
            "remote_hash": "sha256:other",
            "remote_updated_at": R_A.updated_at - timedelta(seconds=5),
        }
    )
    state = lockfile(support__welcome=recorded)
    files = desired((KEY, B))

    (as_recorded,) = plan_changes(files, remote_state(R_A, digests=True), state).changes
    assert as_recorded.reason is Reason.CHANGED_IN_GIT
    spelled = remote_state(R_A).model_copy(update={"listed": {R_A.id: "another spelling"}})
    (fingerprinted,) = plan_changes(files, spelled, state).changes
    assert fingerprinted.reason is Reason.CONFLICT


def test_another_spelling_of_the_recorded_spec_changes_no_entry() -> None:
    """A listing that spells an unchanged workflow otherwise (its keys in another order) is
    settled by its fingerprint, and the entry keeps the digest it has: no refresh for it."""
    state = lockfile(support__welcome=entry(A, R_A, with_file=True))
    spelled = remote_state(R_A).model_copy(update={"listed": {R_A.id: "another spelling"}})
    files, kept = lean(desired((KEY, A), digests=True), spelled, state)

    assert kept.settled == {R_A.id}
    assert plan_changes(files, kept, state).refreshes == ()


def test_an_entry_of_an_older_release_records_its_file_once_in_a_lockfile_only_refresh() -> None:
    """So the next run keeps the file from its bytes; nothing is written to Onepin."""
    older = lockfile(support__welcome=entry(A, R_A))
    files = desired((KEY, A), digests=True)

    plan = plan_changes(files, remote_state(R_A, digests=True), older)
    (refresh,) = plan.refreshes
    assert not plan.changes
    assert refresh.reason is None
    assert refresh.entry == entry(A, R_A, with_file=True)

    recorded = lockfile(support__welcome=refresh.entry)
    assert plan_changes(files, remote_state(R_A, digests=True), recorded).refreshes == ()
