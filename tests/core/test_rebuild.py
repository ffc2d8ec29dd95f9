"""Rebuilding a lockfile: which file is which remote workflow (by name and structure), a table."""

from __future__ import annotations

import pytest

from onepin_sync.core.fingerprint import DEFAULT_COMPARISON, desired_fingerprint
from onepin_sync.core.keys import NEVER_APPLIED
from onepin_sync.core.rebuild import rebuild_state
from tests.core.builders import SALT, desired, entry, lockfile, migrated, remote, spec

WELCOME = spec("Welcome")
OTHER_SHAPE = spec("Welcome", extra_node=True)


@pytest.mark.parametrize(
    ("files", "listed", "matched", "ambiguous"),
    [
        ({"a": WELCOME}, {"id-1": migrated(WELCOME)}, {"a": "id-1"}, {}),
        ({"a": WELCOME}, {"id-1": spec("Welcome!")}, {}, {}),
        ({"a": WELCOME}, {"id-1": OTHER_SHAPE}, {}, {}),
        (
            {"a": WELCOME},
            {"id-1": WELCOME, "id-2": WELCOME},
            {},
            {"a": ("id-1", "id-2")},
        ),
        (
            {"a": WELCOME, "b": WELCOME},
            {"id-1": WELCOME},
            {},
            {"a": ("id-1",), "b": ("id-1",)},
        ),
        (
            {"a": WELCOME, "b": OTHER_SHAPE},
            {"id-1": WELCOME, "id-2": OTHER_SHAPE},
            {"a": "id-1", "b": "id-2"},
            {},
        ),
    ],
    ids=[
        "one match (server-migrated)",
        "another name",
        "another structure",
        "two workflows for one file",
        "two files for one workflow",
        "same name, told apart by structure",
    ],
)
def test_a_file_is_recorded_only_for_a_match_unique_both_ways(
    files: dict[str, object],
    listed: dict[str, object],
    matched: dict[str, str],
    ambiguous: dict[str, tuple[str, ...]],
) -> None:
    wanted = desired(*((k, v) for k, v in files.items()))  # type: ignore[misc]
    workflows = [remote(v, wid) for wid, v in listed.items()]  # type: ignore[arg-type]
    rebuilt = rebuild_state(wanted, workflows, lockfile(), DEFAULT_COMPARISON)
    assert dict(rebuilt.matched) == matched
    assert dict(rebuilt.ambiguous) == ambiguous
    assert set(rebuilt.state.workflows) == set(matched)
    assert rebuilt.state.serial == lockfile().serial + (1 if matched else 0)


def test_a_file_in_sync_is_recorded_as_applied_and_one_that_differs_as_never_applied() -> None:
    edited = spec("Other", speed=1.5)
    wanted = desired(("a", WELCOME), ("b", edited))
    listed = [remote(migrated(WELCOME), "id-1"), remote(spec("Other"), "id-2")]
    rebuilt = rebuild_state(wanted, listed, lockfile(), DEFAULT_COMPARISON)
    assert dict(rebuilt.matched) == {"a": "id-1", "b": "id-2"}
    assert rebuilt.state.workflows["a"].applied_hash == desired_fingerprint(WELCOME, SALT)
    assert rebuilt.differing == ("b",)
    assert rebuilt.state.workflows["b"].applied_hash == NEVER_APPLIED


def test_claimed_workflows_and_known_keys_are_left_alone() -> None:
    managed = remote(WELCOME, "id-1")
    state = lockfile(a=entry(WELCOME, managed))
    rebuilt = rebuild_state(
        desired(("a", WELCOME), ("b", WELCOME)), [managed], state, DEFAULT_COMPARISON
    )
    assert rebuilt.state is state  # b's only look-alike is a's workflow
    assert rebuilt.unmatched == ("b",)


def test_a_file_is_compared_under_its_ignore_rules_as_the_planner_compares_it() -> None:
    """A node without a position keeps the workspace's (a rule the loader adds); a path the
    file ignores is the workspace's to change: neither makes the file differ."""
    loaded = desired(("a", WELCOME)).workflows["a"]
    rules = ("description", "definition.graph.nodes[script].position")
    wanted = desired().model_copy(
        update={"workflows": {"a": loaded.model_copy(update={"ignore_changes": rules})}}
    )
    workspace = migrated(WELCOME).to_api()
    workspace["description"] = "Edited in the app"
    workspace["definition"]["graph"]["nodes"][0]["position"] = {"x": 999.0, "y": 5.0}
    listed = [remote(WELCOME.model_validate(workspace), "id-1")]

    rebuilt = rebuild_state(wanted, listed, lockfile(), DEFAULT_COMPARISON)

    assert dict(rebuilt.matched) == {"a": "id-1"}
    assert rebuilt.differing == ()
    assert rebuilt.state.workflows["a"].applied_hash != NEVER_APPLIED
