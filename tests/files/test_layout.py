"""Generated positions: longest-path columns left to right, rows in file order, cycles tolerated."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from onepin_sync.files.layout import layout_columns, layout_positions
from tests.files.folders import load, write_tree


@pytest.mark.parametrize(
    ("nodes", "edges", "columns"),
    [
        pytest.param("abc", ["ab", "bc"], [0, 1, 2], id="chain"),
        pytest.param("cba", ["ab", "bc"], [2, 1, 0], id="chain-listed-backwards"),
        pytest.param("sabt", ["sa", "sb", "at", "bt"], [0, 1, 1, 2], id="diamond"),
        pytest.param("sabt", ["st", "sa", "ab", "bt"], [0, 1, 2, 3], id="longest-path-wins"),
        pytest.param("sgvx", ["sg", "gv", "vx", "vg"], [0, 1, 2, 3], id="fail-port-loops-back"),
        pytest.param("abc", ["ab", "bc", "ca"], [0, 1, 2], id="cycle-without-a-source"),
        pytest.param("ab", ["aa", "ab"], [0, 1], id="self-loop"),
        pytest.param("abc", [], [0, 0, 0], id="unconnected"),
        pytest.param("ab", ["ax", "xb"], [0, 0], id="edges-to-unknown-ids-ignored"),
    ],
)
def test_columns_are_longest_path_depths(nodes: str, edges: list[str], columns: list[int]) -> None:
    assert layout_columns(list(nodes), [(e[0], e[1]) for e in edges]) == columns


def test_rows_count_nodes_of_a_column_in_file_order() -> None:
    positions = layout_positions(list("sabc"), [("s", "a"), ("s", "b"), ("s", "c")])
    assert positions == [
        {"x": 0, "y": 0},
        {"x": 280, "y": 0},
        {"x": 280, "y": 160},
        {"x": 280, "y": 320},
    ]


def test_a_long_chain_needs_no_recursion() -> None:
    ids = [f"n{i}" for i in range(20_000)]
    columns = layout_columns(ids, list(itertools.pairwise(ids)))
    assert columns[-1] == 19_999


def test_the_loader_fills_only_missing_positions_and_keeps_given_numbers(tmp_path: Path) -> None:
    text = """\
name: Layout
definition:
  graph:
    nodes:
      - {id: script, type: source_script}
      - {id: normalize, type: operator_normalizer, position: {x: 12.5, y: -3}}
      - {id: voice, type: operator_generator}
      - {id: check, type: validator_noise, position: null}
      - {id: export, type: sink_preview}
      - {id: notes, type: sink_preview}
    edges:
      - {id: e1, source: script, sourcePort: lines, target: normalize, targetPort: lines}
      - {id: e2, source: normalize, sourcePort: lines, target: voice, targetPort: lines}
      - {id: e3, source: voice, sourcePort: lines, target: check, targetPort: lines}
      - {id: e4, source: check, sourcePort: pass, target: export, targetPort: lines}
      - {id: e5, source: check, sourcePort: fail, target: voice, targetPort: lines}
"""
    state = load(write_tree(tmp_path / "wf", {"layout.yaml": text}))
    nodes = state.workflows["layout"].spec.definition["graph"]["nodes"]
    positions = {node["id"]: node["position"] for node in nodes}
    assert positions == {
        "script": {"x": 0, "y": 0},
        "normalize": {"x": 12.5, "y": -3},
        "voice": {"x": 560, "y": 0},
        "check": {"x": 840, "y": 0},
        "export": {"x": 1120, "y": 0},
        "notes": {"x": 0, "y": 160},
    }
    assert type(positions["normalize"]["y"]) is int
    assert type(positions["voice"]["x"]) is int
