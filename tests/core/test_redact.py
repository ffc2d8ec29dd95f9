"""Masking secrets, including the old value of a rotated secret (known only by its place), and
what the workspace holds where the files put a secret now or at the last apply."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from onepin_sync.core.redact import LEARNED_MIN, MASK, Redactor

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


# --- by place: the workspace's side at a key's secret places ------------------------------------

TOKEN = ("definition", "graph", "nodes[gen]", "config", "api_token")
placed = Redactor([NEW], {"hotline": [("name",), TOKEN]})


def _workspace_spec(name: str, token: str) -> dict[str, Any]:
    nodes = [{"id": "gen", "config": {"api_token": token, "speed": 1}}, {"id": "out"}]
    return {"name": name, "description": "d", "definition": {"graph": {"nodes": nodes}}}


def test_the_workspace_spec_is_masked_at_the_secret_places_of_its_key_only() -> None:
    old = _workspace_spec("Hotline token-2026", "token-2026")

    masked = placed.remote("hotline", old)

    assert masked == _workspace_spec(MASK, MASK)
    assert placed.remote("other", old) == old  # other keys put no secret there
    assert old == _workspace_spec("Hotline token-2026", "token-2026")  # never changed in place


def test_by_place_and_beside_the_desired_spec_and_by_value_together() -> None:
    old = _workspace_spec("Hotline", "token-2026")
    old["description"] = "rotated from token-2025"
    desired = {**_workspace_spec("Hotline", NEW), "description": f"uses {NEW}"}

    masked = placed.remote("hotline", old, desired)

    assert masked["description"] == MASK  # beside: the desired side holds a secret there
    assert masked["name"] == MASK  # by place
    assert placed.remote("hotline", {**old, "description": NEW})["description"] == MASK


def test_a_field_is_masked_at_under_or_around_a_secret_place() -> None:
    node = {"id": "gen", "config": {"api_token": "token-2026", "speed": 1}}

    assert placed.remote_field("hotline", TOKEN, "token-2026") == MASK
    assert placed.remote_field("hotline", TOKEN, "token-2026", "literal now") == MASK
    assert placed.remote_field("hotline", TOKEN[:3], node) == {
        "id": "gen",
        "config": {"api_token": MASK, "speed": 1},
    }
    assert placed.remote_field("hotline", (*TOKEN[:4], "speed"), 1, 2) == 1
    assert placed.remote_field("hotline", TOKEN[:2], {"nodes": "other"}) == {"nodes": MASK}


def test_a_masked_place_is_never_masked_again() -> None:
    inside = Redactor(["sit"], {"k": [("name",)]})  # a secret inside the mask's own text

    assert inside.remote("k", {"name": "x"})["name"] == MASK
    assert inside.text(MASK) == MASK


def test_learning_masks_in_any_text_what_the_workspace_holds_at_secret_places() -> None:
    old = _workspace_spec("Hotline", "token-2026")
    learned = placed.learning([("hotline", old), ("other", _workspace_spec("x", "unrelated"))])

    assert learned.text("server says: bad token-2026") == f"server says: bad {MASK}"
    assert learned.text("unrelated Hotline") == f"unrelated {MASK}"  # its name, a place too
    assert learned.text(f"{NEW} unrelated") == f"{MASK} unrelated"
    short = _workspace_spec("x" * (LEARNED_MIN - 1), "on")
    assert placed.learning([("hotline", short)]) is placed  # short values would blank out words


def test_overlapping_secrets_are_masked_together_so_no_part_of_either_shows() -> None:
    """A rotated secret inside a longer string: the workspace's old string (learned) and the
    new value overlap, and the new value's rest must not show after the old string's mask."""
    old_string = "https://hooks.example.com/T01ABC"
    rotated = Redactor(["T01ABCZ9x8SECRETPART", old_string])

    assert rotated.text("https://hooks.example.com/T01ABCZ9x8SECRETPART") == MASK
    assert rotated.text(f"was {old_string}, now T01ABCZ9x8SECRETPART!") == (
        f"was {MASK}, now {MASK}!"
    )
    assert Redactor(["abc", "bcd"]).text("xabcdy abc") == f"x{MASK}y {MASK}"


@given(
    secrets=st.lists(st.text("ab", min_size=1, max_size=4), min_size=1, max_size=3),
    text=st.text("abx", max_size=30),
)
def test_every_character_any_secret_covers_is_masked_and_no_other(
    secrets: list[str], text: str
) -> None:
    covered = [False] * len(text)
    for secret in secrets:
        for start in range(len(text) - len(secret) + 1):
            if text.startswith(secret, start):
                covered[start : start + len(secret)] = [True] * len(secret)
    runs = [
        MASK if masked else "".join(c for c, _ in run)
        for masked, run in itertools.groupby(zip(text, covered, strict=True), key=lambda p: p[1])
    ]

    assert Redactor(secrets).text(text) == "".join(runs)
