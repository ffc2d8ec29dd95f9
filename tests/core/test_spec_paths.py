"""Places in a spec: where secrets went (named as `diff.py` names changes), and masking there."""

from __future__ import annotations

from typing import Any

import pytest

from onepin_sync.core.diff import spec_changes
from onepin_sync.core.models import WorkflowSpec
from onepin_sync.core.spec_paths import find_paths, mask_paths, strings_at
from tests.samples import definition

SECRET = "s3cr3t-value"
MASK = "(sensitive)"


def _spec(**changes: Any) -> dict[str, Any]:
    """A spec dump whose script node config, name or description take `changes`."""
    value = WorkflowSpec(name="Welcome", description="Greets", definition=definition())
    dump = value.model_dump()
    dump["name"] = changes.pop("name", dump["name"])
    dump["description"] = changes.pop("description", dump["description"])
    dump["definition"]["graph"]["nodes"][0]["config"].update(changes)
    return dump


def _holds(text: str) -> bool:
    return SECRET in text


SCRIPT = ("definition", "graph", "nodes[script]", "config")


@pytest.mark.parametrize(
    ("spec", "paths"),
    [
        (_spec(), ()),
        (_spec(name=f"Hotline {SECRET}"), (("name",),)),
        (_spec(description=SECRET), (("description",),)),
        (_spec(api_token=SECRET), ((*SCRIPT, "api_token"),)),
        (_spec(auth={"bearer": SECRET, "kind": "x"}), ((*SCRIPT, "auth", "bearer"),)),
        (_spec(headers=["plain", f"Bearer {SECRET}"]), ((*SCRIPT, "headers"),)),
        (_spec(name=SECRET, api_token=SECRET), ((*SCRIPT, "api_token"), ("name",))),
    ],
    ids=["none", "name", "description", "node config", "nested", "a list is one place", "sorted"],
)
def test_the_places_holding_a_secret_are_named_as_diff_names_them(
    spec: dict[str, Any], paths: tuple[tuple[str, ...], ...]
) -> None:
    assert find_paths(spec, _holds) == paths
    if paths:  # a change of the secret's value shows exactly at those paths
        rotated = WorkflowSpec.model_validate(spec)
        old = WorkflowSpec.model_validate(_replace(spec, SECRET, "old-value"))
        assert {c.path for c in spec_changes(old, rotated)} == set(paths)


def test_a_secret_node_id_or_key_makes_its_list_or_mapping_the_place() -> None:
    spec = _spec(**{f"key-{SECRET}": 1})
    spec["definition"]["graph"]["edges"][0]["id"] = SECRET

    assert find_paths(spec, _holds) == (("definition", "graph", "edges"), SCRIPT)
    assert all(SECRET not in segment for path in find_paths(spec, _holds) for segment in path)


def test_masking_at_above_and_under_a_place() -> None:
    token = (*SCRIPT, "api_token")
    node = _spec(api_token="old")["definition"]["graph"]["nodes"][0]

    assert mask_paths("old", token, [token], MASK) == MASK
    assert mask_paths(node["config"], SCRIPT, [token], MASK) == {
        **node["config"],
        "api_token": MASK,
    }
    masked = mask_paths(node, SCRIPT[:-1], [token], MASK)
    assert masked["config"]["api_token"] == MASK
    assert node["config"]["api_token"] == "old"  # a copy: the caller's value is never changed
    assert mask_paths("anything", (*token, "deeper"), [token], MASK) == MASK
    assert mask_paths(node, ("definition", "graph", "nodes[gen]"), [token], MASK) is node


def test_nodes_are_found_by_id_even_in_a_list_with_duplicates() -> None:
    nodes = [{"id": "a", "k": "old"}, {"id": "b", "k": "keep"}, {"id": "a", "k": "again"}]
    place = ("definition", "graph", "nodes[a]", "k")

    masked = mask_paths(nodes, ("definition", "graph", "nodes"), [place], MASK)

    assert masked == [{"id": "a", "k": MASK}, {"id": "b", "k": "keep"}, {"id": "a", "k": MASK}]


def test_another_shape_around_a_place_is_masked_from_where_the_shapes_part() -> None:
    token = (*SCRIPT, "api_token")
    spec = _spec()
    spec["definition"]["graph"]["nodes"][0]["config"] = "api_token=old"

    masked = mask_paths(spec, (), [token], MASK)

    assert masked["definition"]["graph"]["nodes"][0]["config"] == MASK
    assert mask_paths({"config": None}, SCRIPT[:-1], [token], MASK) == {"config": None}


def test_strings_at_the_places_are_what_their_masks_hide() -> None:
    spec = _spec(name="Hotline old-token", headers=["a", "Bearer old"])
    places = [("name",), (*SCRIPT, "headers"), (*SCRIPT, "missing")]

    assert sorted(strings_at(spec, places)) == ["Bearer old", "Hotline old-token", "a"]


def _replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: _replace(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, old, new) for v in value]
    return value
