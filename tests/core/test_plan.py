"""Planner decision table: every combination of desired / lockfile / remote state for one key."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from onepin_sync.core.fingerprint import desired_fingerprint, remote_fingerprint
from onepin_sync.core.models import Action, Reason, RemoteState, StateFile, WorkflowSpec
from onepin_sync.core.planner import PlanOptions, plan_changes
from onepin_sync.errors import InputError
from tests.core.builders import SALT, desired, entry, lockfile, migrated, remote, remote_state, spec

A = spec()  # what was applied
B = spec(name="Welcome v2")  # edited in git
X = spec(description="edited in the web app")  # edited remotely
A_EXPLICIT_DEFAULT = spec()  # same as A but with a server default written out
A_EXPLICIT_DEFAULT = A_EXPLICIT_DEFAULT.model_copy(
    update={
        "definition": {
            "graph": {
                "nodes": [
                    *A.definition["graph"]["nodes"][:2],
                    {**A.definition["graph"]["nodes"][2], "config": {"format": "wav"}},
                ],
                "edges": A.definition["graph"]["edges"],
            }
        }
    }
)

R_A = remote(migrated(A))  # the server's read-back of A: literally different from A
R_B = remote(migrated(B), age=5)
R_X = remote(migrated(X), age=5)
R_A_TOUCHED = remote(migrated(A), age=5)  # saved remotely without any change
# An upgraded server's read of A, never written since: a key added, at the same `updated_at`.
R_A_RESPELLED = remote(
    migrated(A).model_copy(update={"definition": {**migrated(A).definition, "layout_version": 2}})
)
UNRELATED = remote(migrated(spec(name="Someone else's")), wid="id-other")


@dataclass(frozen=True)
class Row:
    id: str
    desired: object  # WorkflowSpec | None
    managed: bool  # the lockfile has the key (applied A, read back as R_A)
    remote: object  # RemoteWorkflow | None (None: confirmed missing)
    action: Action | None
    reason: Reason | None
    refresh: str | None = None  # "record", "forget" or None
    refresh_only: bool = False


TABLE = [
    Row("new file, nothing remote", A, False, None, Action.CREATE, Reason.NEW),
    Row("in sync although remote literally differs", A, True, R_A, None, None),
    Row("changed in git", B, True, R_A, Action.UPDATE, Reason.CHANGED_IN_GIT),
    Row("changed outside onepin-sync", A, True, R_X, Action.UPDATE, Reason.DRIFT),
    Row("changed in both places", B, True, R_X, Action.UPDATE, Reason.CONFLICT),
    Row("changed in both places identically", B, True, R_B, None, None, "record"),
    Row(
        "re-spelled by an upgraded server, not written",
        A,
        True,
        R_A_RESPELLED,
        None,
        None,
        "record",
    ),
    Row(
        "changed in git, re-spelled by an upgraded server",
        B,
        True,
        R_A_RESPELLED,
        Action.UPDATE,
        Reason.CHANGED_IN_GIT,
    ),
    Row(
        "git edit that only spells out a default",
        A_EXPLICIT_DEFAULT,
        True,
        R_A,
        None,
        None,
        "record",
    ),
    Row("saved remotely without changes", A, True, R_A_TOUCHED, None, None, "record"),
    Row("deleted behind our back", A, True, None, Action.CREATE, Reason.MISSING_REMOTELY),
    Row("file removed", None, True, R_A, Action.DELETE, Reason.REMOVED_FROM_CONFIG),
    Row("file removed and already gone", None, True, None, None, None, "forget"),
    Row("refresh-only accepts drift", A, True, R_X, None, None, "record", refresh_only=True),
    Row("refresh-only ignores git edits", B, True, R_A, None, None, refresh_only=True),
    Row(
        "refresh-only forgets what is gone", A, True, None, None, None, "forget", refresh_only=True
    ),
    Row("refresh-only plans no create", A, False, None, None, None, refresh_only=True),
    Row("refresh-only plans no delete", None, True, R_A, None, None, refresh_only=True),
]


def _inputs(row: Row, files: bool = False) -> tuple[object, RemoteState, StateFile]:
    """A row's inputs; `files`: the files with their digests and the entry recording A's file,
    as this release loads and records them (without: an entry of an older release)."""
    items = [("support/welcome", row.desired)] if row.desired is not None else []
    want = desired(*items, digests=files)  # type: ignore[arg-type]
    managed = entry(A, R_A, with_file=files)
    state = lockfile(support__welcome=managed) if row.managed else lockfile()
    others = [UNRELATED]
    if row.remote is not None:
        others.append(row.remote)  # type: ignore[arg-type]
    missing = () if row.remote is not None or not row.managed else (R_A.id,)
    return want, remote_state(*others, missing=missing, digests=files), state


@pytest.mark.parametrize("row", TABLE, ids=[r.id for r in TABLE])
def test_decision_table(row: Row) -> None:
    want, remote_now, state = _inputs(row, files=True)
    options = PlanOptions(refresh_only=row.refresh_only, allow_empty_config=True)
    plan = plan_changes(want, remote_now, state, options)  # type: ignore[arg-type]

    assert [(c.action, c.reason) for c in plan.changes] == (
        [(row.action, row.reason)] if row.action else []
    )
    kinds = ["forget" if r.entry is None else "record" for r in plan.refreshes]
    assert kinds == ([row.refresh] if row.refresh else [])
    assert plan.unmanaged_count == 1
    assert (plan.lineage, plan.serial) == ("lineage-1", 7)


def test_update_patches_only_the_changed_top_level_fields() -> None:
    plan = plan_changes(desired(("k", B)), remote_state(R_A), lockfile(k=entry(A, R_A)))
    (change,) = plan.changes
    assert change.patch_fields == ("name",)
    assert [(c.path, c.before, c.after) for c in change.field_changes] == [
        (("name",), "Welcome", "Welcome v2")
    ]
    assert change.remote_id == R_A.id
    assert change.remote_updated_at == R_A.updated_at
    assert change.applied_hash == desired_fingerprint(B, SALT)


def test_drift_revert_patches_back_what_changed_remotely() -> None:
    plan = plan_changes(desired(("k", A)), remote_state(R_X), lockfile(k=entry(A, R_A)))
    (change,) = plan.changes
    assert change.patch_fields == ("description",)
    assert change.field_changes[0].before == "edited in the web app"
    assert change.field_changes[0].after == "Greets"


def test_nodes_are_matched_by_id_not_position() -> None:
    edited = spec(extra_node=True, speed=1.2)
    plan = plan_changes(desired(("k", edited)), remote_state(R_A), lockfile(k=entry(A, R_A)))
    (change,) = plan.changes
    paths = [".".join(c.path) for c in change.field_changes]
    assert paths == [
        "definition.graph.nodes[gen].config.speed",
        "definition.graph.nodes[qa]",
        "definition.graph.edges[e3]",
    ]
    assert change.patch_fields == ("definition",)
    assert not change.field_changes[1].before_present


def _voices(*ids: str) -> WorkflowSpec:
    value = spec()
    nodes = [dict(n) for n in value.definition["graph"]["nodes"]]
    voices = [{"voice_id": v, "provider": "p", "model": "m"} for v in ids]
    nodes[1] = {**nodes[1], "config": {**nodes[1]["config"], "voice_map": {"en-us": voices}}}
    graph = {**value.definition["graph"], "nodes": nodes}
    return value.model_copy(update={"definition": {**value.definition, "graph": graph}})


def test_a_list_that_differs_in_several_places_is_one_change() -> None:
    applied, edited = _voices("v1", "v2"), _voices("v3", "v4")
    read_back = remote(migrated(applied))
    plan = plan_changes(
        desired(("k", edited)), remote_state(read_back), lockfile(k=entry(applied, read_back))
    )
    (change,) = plan.changes
    voices = edited.definition["graph"]["nodes"][1]["config"]["voice_map"]["en-us"]
    assert [(".".join(c.path), c.after) for c in change.field_changes] == [
        ("definition.graph.nodes[gen].config.voice_map.en-us", voices)
    ]


def test_created_entry_and_hashes() -> None:
    plan = plan_changes(desired(("k", A, True)), remote_state(), lockfile())
    (change,) = plan.changes
    assert change.after == A
    assert change.before is None
    assert change.applied_hash == desired_fingerprint(A, SALT)
    assert change.prevent_destroy is True


def test_changes_are_sorted_creates_updates_deletes_then_key() -> None:
    r1 = remote(migrated(spec(name="one")), wid="id-1")
    r2 = remote(migrated(spec(name="two")), wid="id-2")
    state = lockfile(b=entry(spec(name="one"), r1), a=entry(spec(name="two"), r2))
    want = desired(("b", spec(name="one!")), ("z", A), ("c", A))
    plan = plan_changes(want, remote_state(r1, r2), state)
    assert [(c.action.value, c.key) for c in plan.changes] == [
        ("create", "c"),
        ("create", "z"),
        ("update", "b"),
        ("delete", "a"),
    ]
    assert plan.managed_count == 2
    assert plan.unmanaged_count == 0


def test_prevent_destroy_survives_removal_of_the_file() -> None:
    state = lockfile(k=entry(A, R_A, prevent_destroy=True))
    with pytest.raises(InputError, match=r"k: .*prevent_destroy"):
        plan_changes(desired(("other", A)), remote_state(R_A), state)


def test_toggling_prevent_destroy_only_refreshes_the_lockfile() -> None:
    plan = plan_changes(desired(("k", A, True)), remote_state(R_A), lockfile(k=entry(A, R_A)))
    assert not plan.changes
    (refresh,) = plan.refreshes
    assert refresh.entry is not None
    assert refresh.entry.prevent_destroy is True


def test_a_refresh_keeps_the_lockfiles_secret_places_and_adds_the_files() -> None:
    """Nothing is written, so what the workspace holds where a secret was is still a secret."""
    script = ("definition", "graph", "nodes[script]", "config", "script_text")
    recorded = entry(A, R_A).model_copy(update={"secret_paths": (("description",),)})
    want = desired(("k", A))
    file = want.workflows["k"].model_copy(update={"secret_paths": (script,)})

    plan = plan_changes(
        want.model_copy(update={"workflows": {"k": file}}), remote_state(R_A), lockfile(k=recorded)
    )

    assert not plan.changes
    (refresh,) = plan.refreshes
    assert refresh.entry == recorded.model_copy(update={"secret_paths": (script, ("description",))})


@pytest.mark.parametrize("folder_exists", [True, False], ids=["empty folder", "missing folder"])
def test_refuses_to_delete_everything_when_the_folder_is_empty(folder_exists: bool) -> None:
    state = lockfile(k=entry(A, R_A))
    with pytest.raises(InputError, match="lockfile manages 1 workflows"):
        plan_changes(desired(folder_exists=folder_exists), remote_state(R_A), state)
    plan = plan_changes(
        desired(folder_exists=folder_exists),
        remote_state(R_A),
        state,
        PlanOptions(allow_empty_config=True),
    )
    assert [c.action for c in plan.changes] == [Action.DELETE]


def test_refuses_an_empty_listing_while_the_lockfile_manages_workflows() -> None:
    state = lockfile(k=entry(A, R_A))
    empty = remote_state(missing=(R_A.id,))
    with pytest.raises(InputError, match="wrong API key, workspace or base URL"):
        plan_changes(desired(("k", A)), empty, state)
    plan = plan_changes(desired(("k", A)), empty, state, PlanOptions(allow_empty_remote=True))
    assert [(c.action, c.reason) for c in plan.changes] == [
        (Action.CREATE, Reason.MISSING_REMOTELY)
    ]


def test_an_unresolved_managed_id_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="incomplete"):
        plan_changes(desired(("k", A)), remote_state(UNRELATED), lockfile(k=entry(A, R_A)))


def test_remote_hash_ignores_server_managed_config_version() -> None:
    bumped = migrated(A)
    nodes = [{**n, "config_version": 9} for n in bumped.definition["graph"]["nodes"]]
    bumped = bumped.model_copy(
        update={"definition": {"graph": {**bumped.definition["graph"], "nodes": nodes}}}
    )
    assert remote_fingerprint(bumped, SALT) == remote_fingerprint(R_A.spec, SALT)
    plan = plan_changes(desired(("k", A)), remote_state(remote(bumped)), lockfile(k=entry(A, R_A)))
    assert not plan.changes
    assert not plan.refreshes


def test_refresh_only_marks_what_changed_outside_onepin_sync() -> None:
    state = lockfile(k=entry(A, R_A), gone=entry(A, remote(migrated(A), wid="id-gone")))
    want = desired(("k", A), ("gone", A))
    plan = plan_changes(
        want, remote_state(R_X, missing=("id-gone",)), state, PlanOptions(refresh_only=True)
    )
    assert [(r.key, r.reason) for r in plan.drift] == [
        ("gone", Reason.MISSING_REMOTELY),
        ("k", Reason.DRIFT),
    ]
    touched = plan_changes(
        desired(("k", A)), remote_state(R_A_TOUCHED), lockfile(k=entry(A, R_A)),
        PlanOptions(refresh_only=True),
    )  # fmt: skip
    assert len(touched.refreshes) == 1
    assert touched.drift == ()  # an updated_at move without a change is bookkeeping, not drift
