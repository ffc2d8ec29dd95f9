"""Lockfile-only transitions: moving a key (renames) and forgetting one (left in Onepin)."""

from __future__ import annotations

import pytest

from onepin_sync.core.models import Reason, StateFile, StateRefresh
from onepin_sync.core.transitions import forgotten, moved, with_refreshes
from onepin_sync.errors import InputError
from tests.core.builders import entry, lockfile, remote, spec


def _state() -> StateFile:
    first = remote(spec("First"), "id-1")
    second = remote(spec("Second"), "id-2")
    return lockfile(a=entry(spec("First"), first), b=entry(spec("Second"), second))


def test_moving_keeps_the_entry_under_the_new_key_and_bumps_the_serial() -> None:
    state = _state()
    after = moved(state, "a", "team/a")
    assert list(after.workflows) == ["b", "team/a"]
    assert after.workflows["team/a"] == state.workflows["a"]
    assert after.serial == state.serial + 1


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("nope", "c", "cannot move nope: it is not managed"),
        ("a", "b", "cannot move a to b: b is already managed"),
        ("a", "a", "cannot move a onto itself"),
    ],
    ids=["unknown source", "target in use", "onto itself"],
)
def test_a_move_that_cannot_be_made_is_refused(old: str, new: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        moved(_state(), old, new)


def test_forgetting_drops_only_that_key() -> None:
    state = _state()
    after = forgotten(state, "a")
    assert list(after.workflows) == ["b"]
    assert after.serial == state.serial + 1
    with pytest.raises(InputError, match="cannot forget a: it is not managed"):
        forgotten(after, "a")


def test_a_move_and_a_later_refresh_of_the_new_key_apply_in_order() -> None:
    state = _state()
    newer = state.workflows["a"].model_copy(update={"applied_hash": "sha256:other"})
    after = with_refreshes(
        state,
        [
            StateRefresh(key="c", entry=state.workflows["a"], reason=Reason.MOVED, moved_from="a"),
            StateRefresh(key="c", entry=newer),
        ],
    )
    assert dict(after.workflows) == {"b": state.workflows["b"], "c": newer}
