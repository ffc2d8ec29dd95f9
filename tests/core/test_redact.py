"""Masking secrets, including the old value of a rotated secret (known only by its place)."""

from __future__ import annotations

from onepin_sync.core.redact import MASK, Redactor

NEW = "token-2027"
redactor = Redactor([NEW])


def test_current_secrets_are_masked_everywhere_keys_included() -> None:
    value = {"a": f"Bearer {NEW}", NEW: [1, f"x{NEW}y"], "n": 3}
    assert redactor.json(value) == {"a": f"Bearer {MASK}", MASK: [1, f"x{MASK}y"], "n": 3}
    assert redactor.holds_secret(value)
    assert not redactor.holds_secret({"a": "public", "b": [1, None]})


def test_the_old_value_beside_a_secret_is_masked_whole() -> None:
    before = {"token": "token-2026", "note": "same", "speed": 1.0}
    after = {"token": NEW, "note": "same", "speed": 1.2}
    assert redactor.beside(before, after) == {"token": MASK, "note": "same", "speed": 1.0}


def test_nodes_are_matched_by_id_whatever_their_order() -> None:
    before = [
        {"id": "a", "config": {"key": "token-2026"}},
        {"id": "b", "config": {"key": "plain"}},
        {"id": "gone", "config": {"key": "old"}},
    ]
    after = [{"id": "b", "config": {"key": "plain"}}, {"id": "a", "config": {"key": NEW}}]
    assert redactor.beside(before, after) == [
        {"id": "a", "config": {"key": MASK}},
        {"id": "b", "config": {"key": "plain"}},
        {"id": "gone", "config": {"key": "old"}},
    ]


def test_other_lists_match_by_index_and_a_shape_change_masks_the_whole_value() -> None:
    assert redactor.beside(["x", "old-token"], ["x", NEW]) == ["x", MASK]
    assert redactor.beside({"nested": "old-token"}, f"now {NEW}") == MASK
    assert redactor.beside("multi\nline old-token", f"multi\nline {NEW}") == MASK


def test_without_secrets_nothing_changes() -> None:
    value = {"k": ["v", {"id": "x"}]}
    assert Redactor().beside(value, value) is value
