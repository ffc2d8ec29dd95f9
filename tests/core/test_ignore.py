"""Ignore rules: which patterns name fields of a workflow file, and what they take out of a
fingerprint or keep from the workspace in an update."""

from __future__ import annotations

import pytest

from onepin_sync.core.fingerprint import IgnoreRules, desired_fingerprint
from onepin_sync.core.ignore import (
    IgnorePatternError,
    parse_pattern,
    with_remote_values,
    without_ignored,
)
from tests.core.builders import SALT, spec

NODES = [
    {"id": "a", "type": "t", "position": {"x": 0, "y": 0}, "config": {"speed": 1, "k": 2}},
    {"id": "b", "type": "t", "position": {"x": 5, "y": 0}},
]


def _spec_json(nodes: list[dict[str, object]], description: str | None = "d") -> dict[str, object]:
    return {"name": "N", "description": description, "definition": {"graph": {"nodes": nodes}}}


@pytest.mark.parametrize(
    "pattern",
    [
        "description",
        "name",
        "definition.graph.nodes[*].position",
        "definition.graph.nodes[voice].config.speed",
        "definition.graph.nodes[voice].config.deep.inside",
        "definition.graph.edges[e1]",
        "definition.execution.params.campaign",
    ],
)
def test_patterns_over_the_files_fields_are_accepted(pattern: str) -> None:
    assert parse_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("descripton", "unknown field 'descripton' (a workflow file has definition, description"),
        ("definition.graph.nodes[*].colour", "unknown field 'colour'"),
        ("definition.graph.nodes.position", "select the nodes by [id] or [*]"),
        ("definition[x]", "only nodes and edges take [id] or [*]"),
        ("description.text", "description has no fields"),
        ("definition..graph", "is not a dotted path of field names"),
    ],
)
def test_patterns_naming_no_field_are_refused(pattern: str, message: str) -> None:
    with pytest.raises(IgnorePatternError) as raised:
        parse_pattern(pattern)
    assert message in str(raised.value)


def test_matched_paths_are_left_out_of_the_hashed_value() -> None:
    value = _spec_json(NODES)
    stripped = without_ignored(
        value,
        (
            "description",
            "definition.graph.nodes[*].position",
            "definition.graph.nodes[a].config.speed",
        ),
    )
    assert stripped == {
        "name": "N",
        "definition": {
            "graph": {
                "nodes": [{"id": "a", "type": "t", "config": {"k": 2}}, {"id": "b", "type": "t"}]
            }
        },
    }
    assert value == _spec_json(NODES)  # never the caller's


def test_an_ignored_path_does_not_change_the_fingerprint() -> None:
    rules = IgnoreRules(paths=("description",))
    assert desired_fingerprint(spec(description="one"), SALT, rules) == desired_fingerprint(
        spec(description="two"), SALT, rules
    )
    assert desired_fingerprint(spec(description="one"), SALT) != desired_fingerprint(
        spec(description="two"), SALT
    )


def test_an_update_takes_the_workspaces_values_at_ignored_paths() -> None:
    remote_nodes = [
        {"id": "a", "type": "t", "position": {"x": 90, "y": 9}, "config": {"speed": 7}},
    ]
    desired = _spec_json([*NODES, {"id": "c", "type": "t", "position": {"x": 1, "y": 1}}])
    merged = with_remote_values(
        desired,
        _spec_json(remote_nodes, description=None),
        (
            "description",
            "definition.graph.nodes[*].position",
            "definition.graph.nodes[a].config.speed",
        ),
    )
    nodes = merged["definition"]["graph"]["nodes"]  # type: ignore[index]
    assert merged["description"] is None
    assert nodes[0] == {
        "id": "a",
        "type": "t",
        "position": {"x": 90, "y": 9},
        "config": {"speed": 7, "k": 2},
    }
    assert nodes[1]["position"] == {"x": 5, "y": 0}  # b is not in the workspace: the file's
    assert nodes[2]["position"] == {"x": 1, "y": 1}
