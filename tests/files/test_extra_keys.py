"""Extra keys inside a definition: kept, sent and fingerprinted; misspelt ones refused as typos;
the top level stays closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepin_sync.core.fingerprint import desired_fingerprint
from onepin_sync.files.discovery import WorkflowFileRef
from onepin_sync.files.loader import load_workflow_text
from onepin_sync.files.yamlwriter import workflow_yaml
from tests.files.folders import load, only_problem, write_tree

WITH_EXTRAS = """\
name: A
definition:
  layout_version: 2
  graph:
    zoom: 1.5
    nodes:
      - id: s
        type: source_script
        position: {x: 0, y: 0, z: 3}
        ui: {collapsed: false}
        note: null
      - {id: o, type: sink_preview, name: null}
    edges:
      - {id: e1, source: s, sourcePort: lines, target: o, targetPort: lines, label: main}
  execution: {steps: [s, o], mode: fast}
"""


def test_extra_keys_at_every_level_of_the_definition_are_part_of_the_spec(
    tmp_path: Path,
) -> None:
    workflow = load(write_tree(tmp_path / "wf", {"a.yaml": WITH_EXTRAS})).workflows["a"]
    definition = workflow.spec.definition
    assert definition["layout_version"] == 2
    assert definition["execution"] == {"steps": ["s", "o"], "mode": "fast"}
    graph = definition["graph"]
    assert graph["zoom"] == 1.5
    script, out = graph["nodes"]
    assert script["ui"] == {"collapsed": False}
    assert script["position"] == {"x": 0, "y": 0, "z": 3}
    assert "note" in script  # an extra key's null is a value
    assert script["note"] is None
    assert "name" not in out  # a named field's null counts as omitted
    assert graph["edges"][0]["label"] == "main"
    without = WITH_EXTRAS.replace("        ui: {collapsed: false}\n", "")
    other = load(write_tree(tmp_path / "wf2", {"a.yaml": without})).workflows["a"]
    assert desired_fingerprint(other.spec, "s") != desired_fingerprint(workflow.spec, "s")


@pytest.mark.parametrize(
    ("line", "replacement", "expected"),
    [
        (
            "        ui: {collapsed: false}",
            "        confg: {a: 1}",
            "10:9: definition.graph.nodes[0]: unknown field 'confg'; did you mean 'config'?",
        ),
        (
            "  layout_version: 2",
            "  Graph: {}",
            "3:3: definition: unknown field 'Graph'; did you mean 'graph'?",
        ),
        (
            "    zoom: 1.5",
            "    edge: []",
            "5:5: definition.graph: unknown field 'edge'; did you mean 'edges'?",
        ),
    ],
)
def test_an_extra_key_that_reads_like_a_misspelt_field_is_refused(
    tmp_path: Path, line: str, replacement: str, expected: str
) -> None:
    text = WITH_EXTRAS.replace(line, replacement)
    assert only_problem(write_tree(tmp_path / "wf", {"a.yaml": text})) == f"a.yaml:{expected}"


def test_the_top_level_stays_closed(tmp_path: Path) -> None:
    text = WITH_EXTRAS.replace("name: A\n", "name: A\nlayout_version: 2\n")
    assert only_problem(write_tree(tmp_path / "wf", {"a.yaml": text})) == (
        "a.yaml:2:1: unknown field 'layout_version' "
        "(allowed: name, description, lifecycle, definition)"
    )


def test_a_written_file_keeps_every_extra_key_and_loads_back_as_the_same_spec() -> None:
    ref = WorkflowFileRef(path=Path("a.yaml"), display="a.yaml", key="a")
    spec = load_workflow_text(WITH_EXTRAS, ref, env={}).spec
    again = load_workflow_text(workflow_yaml(spec), ref, env={}).spec
    assert again == spec
