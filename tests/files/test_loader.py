"""Loading workflow files: what the API receives, and how each invalid file is reported."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from onepin_sync.core.fingerprint import canonical_json
from onepin_sync.core.models import Lifecycle
from onepin_sync.errors import InputError, WorkflowFileError
from onepin_sync.files.reader import MAX_FILE_BYTES, _read_to_end
from tests.files.folders import MINIMAL, PIPELINE, load, only_problem, problems, write_tree

FULL = """\
# yaml-language-server: $schema=../schemas/workflow.schema.json
name: Welcome call (EN/ES/FR)
description: Greets new customers.
lifecycle:
  prevent_destroy: true
definition:
  graph:
    nodes:
      - id: script
        type: source_script
        name: Welcome script
        position: {x: 0, y: 0}
        config: {script_text: "Hello!", source_language: en-us, extra: {deep: [1, 2.5, null]}}
        config_version: 3
      - id: translate
        type: operator_translator
        position: {x: 280.5, y: 0}
        config: {target_languages: [es-es, fr-fr]}
    edges:
      - {id: e1, source: script, sourcePort: lines, target: translate, targetPort: lines}
  execution:
    steps: [script, translate]
    params: {priority: high, on: yes, at: 1:30, retries: 010}
"""


def test_a_full_file_becomes_exactly_the_api_definition(tmp_path: Path) -> None:
    state = load(write_tree(tmp_path / "wf", {"support/welcome.yaml": FULL}))
    workflow = state.workflows["support/welcome"]
    assert workflow.spec.name == "Welcome call (EN/ES/FR)"
    assert workflow.spec.description == "Greets new customers."
    assert workflow.lifecycle == Lifecycle(prevent_destroy=True)
    assert workflow.spec.definition == {
        "graph": {
            "nodes": [
                {
                    "id": "script",
                    "type": "source_script",
                    "name": "Welcome script",
                    "position": {"x": 0, "y": 0},
                    "config": {
                        "script_text": "Hello!",
                        "source_language": "en-us",
                        "extra": {"deep": [1, 2.5, None]},
                    },
                    "config_version": 3,
                },
                {
                    "id": "translate",
                    "type": "operator_translator",
                    "position": {"x": 280.5, "y": 0},
                    "config": {"target_languages": ["es-es", "fr-fr"]},
                },
            ],
            "edges": [
                {
                    "id": "e1",
                    "source": "script",
                    "sourcePort": "lines",
                    "target": "translate",
                    "targetPort": "lines",
                }
            ],
        },
        "execution": {
            "steps": ["script", "translate"],
            "params": {"priority": "high", "on": "yes", "at": "1:30", "retries": 10},
        },
    }
    canonical_json(dict(workflow.spec.definition))  # plain JSON values only


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ("{}", {"graph": {"nodes": [], "edges": []}}),
        ("{graph: null, execution: null}", {"graph": {"nodes": [], "edges": []}}),
        ("{graph: {nodes: null, edges: []}}", {"graph": {"nodes": [], "edges": []}}),
        ("{execution: {}}", {"graph": {"nodes": [], "edges": []}, "execution": {}}),
        (
            "{execution: {steps: null, params: {a: null}}}",
            {"graph": {"nodes": [], "edges": []}, "execution": {"params": {"a": None}}},
        ),
        (
            "{graph: {nodes: [{id: a, type: sink_preview, name: null, config: null,"
            " config_version: null, position: {x: 1, y: 2}}]}}",
            {
                "graph": {
                    "nodes": [{"id": "a", "type": "sink_preview", "position": {"x": 1, "y": 2}}],
                    "edges": [],
                }
            },
        ),
    ],
)
def test_absent_or_null_optional_fields_stay_absent(
    tmp_path: Path, definition: str, expected: object
) -> None:
    state = load(write_tree(tmp_path / "wf", {"a.yaml": f"name: A\ndefinition: {definition}\n"}))
    assert state.workflows["a"].spec.definition == expected


@pytest.mark.parametrize(
    ("header", "description", "prevent_destroy"),
    [
        ("", None, False),
        ("description: null\n", None, False),
        ("description:\n", None, False),
        ("description: ''\n", "", False),
        ("lifecycle: {}\n", None, False),
        ("lifecycle: {prevent_destroy: null}\n", None, False),
        ("lifecycle: {prevent_destroy: false}\n", None, False),
        ("lifecycle: {prevent_destroy: true}\n", None, True),
    ],
)
def test_description_and_lifecycle_defaults(
    tmp_path: Path, header: str, description: str | None, prevent_destroy: bool
) -> None:
    state = load(write_tree(tmp_path / "wf", {"a.yaml": f"name: A\n{header}definition: {{}}\n"}))
    workflow = state.workflows["a"]
    assert workflow.spec.description == description
    assert workflow.lifecycle.prevent_destroy is prevent_destroy
    assert workflow.spec.to_api()["description"] == description


@pytest.mark.parametrize(
    ("name_line", "name"),
    [
        ("name: no", "no"),
        ("name: 1:30", "1:30"),
        ("name: '010'", "010"),
        ("name: 2026-01-31", "2026-01-31"),
        ("name: " + "x" * 200, "x" * 200),
        ("name: Café ☕", "Café ☕"),
    ],
)
def test_names_that_yaml_1_1_would_have_changed(tmp_path: Path, name_line: str, name: str) -> None:
    state = load(write_tree(tmp_path / "wf", {"a.yaml": f"{name_line}\ndefinition: {{}}\n"}))
    assert state.workflows["a"].spec.name == name


def _file(graph: str = "", top: str = "name: A\n", execution: str = "") -> str:
    text = top + "definition:\n  graph:\n    nodes:\n"
    text += "      - {id: script, type: source_script, position: {x: 0, y: 0}}\n"
    text += "      - {id: translate, type: operator_translator, position: {x: 1, y: 0}}\n"
    text += "      - {id: check, type: validator_noise, position: {x: 2, y: 0}}\n"
    text += "      - {id: export, type: sink_preview, position: {x: 3, y: 0}}\n"
    text += graph
    return text + execution


EDGES = "    edges:\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: 10\ndefinition: {}\n", "1:7: name: expected a string, got integer 10 — quote it"),
        (
            "name: 010\ndefinition: {}\n",
            "1:7: name: expected a string, got integer 10 (written 010) — quote it",
        ),
        ("name: 1.5\ndefinition: {}\n", "1:7: name: expected a string, got number 1.5 — quote it"),
        (
            "name: true\ndefinition: {}\n",
            "1:7: name: expected a string, got boolean true — quote it",
        ),
        ("name:\ndefinition: {}\n", "1:1: name: expected a string, got null"),
        (
            "name: A\ndefinition:\n  graph:\n    nodes:\n      - {id: s, type: source_script,"
            " position: {x: 1" + "0" * 400 + ", y: 0}}\n",
            "5:52: definition.graph.nodes[0].position.x: is an integer too large for a number"
            " here (at most about 1.8e308)",
        ),
        ("name: ''\ndefinition: {}\n", "1:7: name: must not be empty"),
        ("name: '   '\ndefinition: {}\n", "1:7: name: must not be blank"),
        (
            "name: " + "x" * 201 + "\ndefinition: {}\n",
            "1:7: name: is 201 characters long; the limit is 200",
        ),
        ("description: x\ndefinition: {}\n", "1:1: missing required field 'name'"),
        ("name: A\n", "1:1: missing required field 'definition'"),
        ("name: A\ndefinition:\n", "2:1: definition: expected a mapping, got null"),
        ("name: A\ndefinition: []\n", "2:13: definition: expected a mapping, got a list"),
        (
            "name: A\ndescripton: x\ndefinition: {}\n",
            "2:1: unknown field 'descripton'; did you mean 'description'?",
        ),
        (
            "name: A\ncolour: red\ndefinition: {}\n",
            "2:1: unknown field 'colour' (allowed: name, description, lifecycle, definition)",
        ),
        (
            "name: A\ndescription: 5\ndefinition: {}\n",
            "2:14: description: expected a string, got integer 5 — quote it",
        ),
        (
            "name: A\nlifecycle: {prevent_destroy: yes}\ndefinition: {}\n",
            "2:30: lifecycle.prevent_destroy: expected true or false, got string 'yes'"
            " (YAML 1.2: only true and false are booleans)",
        ),
        (
            "name: A\nlifecycle: {prevent: true}\ndefinition: {}\n",
            "2:13: lifecycle: unknown field 'prevent'; did you mean 'prevent_destroy'?",
        ),
        (
            "name: A\ndefinition: {graph: []}\n",
            "2:21: definition.graph: expected a mapping, got a list",
        ),
        (
            "name: A\ndefinition: {graph: {nodes: {id: a}}}\n",
            "2:29: definition.graph.nodes: expected a list, got a mapping",
        ),
        (
            "name: A\ndefinition: {graph: {nodes: [{type: sink_preview}]}}\n",
            "2:30: definition.graph.nodes[0]: missing required field 'id'",
        ),
        (
            "name: A\ndefinition: {graph: {nodes: [{id: '', type: sink_preview}]}}\n",
            "2:35: definition.graph.nodes[0].id: must not be empty",
        ),
        (
            "name: A\ndefinition: {graph: {nodes: [{id: a, Type: sink_preview}]}}\n",
            "2:38: definition.graph.nodes[0]: unknown field 'Type'; did you mean 'type'?",
        ),
        (
            "name: A\ndefinition: {graph: {nodes: [{id: a, type: sink_preview, config: [1]}]}}\n",
            "2:66: definition.graph.nodes[0].config: expected a mapping, got a list",
        ),
        (
            "name: A\ndefinition: {graph: {nodes: [{id: a, type: sink_preview,"
            " config_version: '2'}]}}\n",
            "2:74: definition.graph.nodes[0].config_version: expected an integer, got string '2'",
        ),
        (
            "name: A\ndefinition: {graph: {nodes: [{id: a, type: sink_preview,"
            " position: {x: '1', y: 0}}]}}\n",
            "2:72: definition.graph.nodes[0].position.x: expected a number, got string '1'",
        ),
        (
            "name: A\ndefinition: {graph: {nodes: [{id: a, type: source_scrpt}]}}\n",
            "2:44: definition.graph.nodes[0].type: unknown node type 'source_scrpt';"
            " did you mean 'source_script'?",
        ),
        (
            "name: A\ndefinition: {graph: {nodes: [{id: a, type: 7}]}}\n",
            "2:44: definition.graph.nodes[0].type: expected a string, got integer 7 — quote it",
        ),
        (
            "name: A\ndefinition: {execution: {steps: [1]}}\n",
            "2:34: definition.execution.steps[0]: expected a string, got integer 1 — quote it",
        ),
        (
            "name: A\ndefinition: {execution: {param: {}}}\n",
            "2:26: definition.execution: unknown field 'param'; did you mean 'params'?",
        ),
        (
            _file(
                EDGES + "      - {id: e1, source: script, source_port: lines,"
                " target: translate, targetPort: lines}\n"
            ),
            "10:34: definition.graph.edges[0]: unknown field 'source_port';"
            " did you mean 'sourcePort'?",
        ),
        (
            _file(
                EDGES + "      - {id: e1, source: translate, sourcePort: line,"
                " target: export, targetPort: lines}\n"
            ),
            "10:49: definition.graph.edges[0].sourcePort: 'line' is not an output of"
            " operator_translator (outputs: lines); did you mean 'lines'?",
        ),
        (
            _file(
                EDGES + "      - {id: e1, source: script, sourcePort: lines,"
                " target: check, targetPort: pass}\n"
            ),
            "10:80: definition.graph.edges[0].targetPort: 'pass' is not an input of"
            " validator_noise (inputs: lines)",
        ),
        (
            _file(
                EDGES + "      - {id: e1, source: check, sourcePort: lines,"
                " target: export, targetPort: lines}\n"
            ),
            "10:45: definition.graph.edges[0].sourcePort: 'lines' is not an output of"
            " validator_noise (outputs: pass, fail)",
        ),
        (
            _file(
                EDGES + "      - {id: e1, source: export, sourcePort: lines,"
                " target: check, targetPort: lines}\n"
            ),
            "10:46: definition.graph.edges[0].sourcePort: 'lines' is not an output of"
            " sink_preview (it has no outputs)",
        ),
        (
            _file(
                EDGES + "      - {id: e1, source: script, sourcePort: lines,"
                " target: transalte, targetPort: lines}\n"
            ),
            "10:61: definition.graph.edges[0].target: no node with id 'transalte';"
            " did you mean 'translate'?",
        ),
        (
            _file(
                EDGES + "      - {id: e1, source: nowhere, sourcePort: lines,"
                " target: export, targetPort: lines}\n"
            ),
            "10:26: definition.graph.edges[0].source: no node with id 'nowhere'",
        ),
        (
            _file(execution="  execution:\n    steps: [script, exprot]\n"),
            "10:21: definition.execution.steps[1]: no node with id 'exprot';"
            " did you mean 'export'?",
        ),
    ],
)
def test_each_invalid_file_gets_one_precise_message(
    tmp_path: Path, text: str, expected: str
) -> None:
    folder = write_tree(tmp_path / "wf", {"a.yaml": text})
    assert only_problem(folder) == f"a.yaml:{expected}"


def test_duplicate_ids_point_at_the_second_use(tmp_path: Path) -> None:
    text = _file(
        EDGES + "      - {id: e1, source: script, sourcePort: lines,"
        " target: translate, targetPort: lines}\n"
        + "      - {id: e1, source: translate, sourcePort: lines,"
        " target: export, targetPort: lines}\n"
    ).replace("id: check", "id: translate")
    assert problems(write_tree(tmp_path / "wf", {"a.yaml": text})) == [
        "a.yaml:7:14: definition.graph.nodes[2].id: duplicate node id 'translate'"
        " (already used by nodes[1])",
        "a.yaml:11:14: definition.graph.edges[1].id: duplicate edge id 'e1'"
        " (already used by edges[0])",
    ]


def test_every_problem_of_every_file_is_reported_together_in_order(tmp_path: Path) -> None:
    folder = write_tree(
        tmp_path / "wf",
        {
            "good.yaml": PIPELINE,
            "b/types.yaml": (
                "name: 7\ndescripton: x\ndefinition: {graph: {nodes: [{id: a, type: x}]}}\n"
            ),
            "a/syntax.yaml": "name: [unclosed\n",
            "c/tags.yml": "name: !custom A\ndefinition: &d {}\n",
            "d/big.yaml": b"#" * (MAX_FILE_BYTES + 1),
            "e/latin1.yaml": b"name: caf\xe9\ndefinition: {}\n",
        },
    )
    with pytest.raises(WorkflowFileError) as caught:
        load(folder)
    error = caught.value
    assert isinstance(error, InputError)
    assert error.exit_code == 3
    assert str(error) == "8 problems in workflow files"
    assert [str(p).removeprefix(f"{folder}/") for p in error.problems] == [
        "a/syntax.yaml:2:1: invalid YAML: did not find expected ',' or ']'"
        " (while parsing a flow sequence)",
        "b/types.yaml:1:7: name: expected a string, got integer 7 — quote it",
        "b/types.yaml:2:1: unknown field 'descripton'; did you mean 'description'?",
        "b/types.yaml:3:44: definition.graph.nodes[0].type: unknown node type 'x'"
        " (known: source_script, operator_translator, operator_normalizer, operator_generator,"
        " operator_phoneme_injector, operator_pronunciation_corrector, validator_error_rate,"
        " validator_naturalness, validator_noise, validator_pronunciation, sink_preview)",
        "c/tags.yml:1:7: tag '!custom' is not allowed",
        "c/tags.yml:2:13: anchors (&d) are not supported",
        "d/big.yaml: file is 1.0 MiB (1,048,577 bytes); the limit is 1 MiB (1,048,576 bytes)",
        "e/latin1.yaml:1:10: not valid UTF-8: byte 0xe9 (save the file as UTF-8)",
    ]


def test_the_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    folder = tmp_path / "wf"
    folder.mkdir()
    with open(folder / "huge.yaml", "wb") as handle:
        handle.truncate(3 * 1024 * 1024)  # sparse: 3 MiB on disk, never read
    assert only_problem(folder) == (
        "huge.yaml: file is 3.0 MiB (3,145,728 bytes); the limit is 1 MiB (1,048,576 bytes)"
    )


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    head = MINIMAL + "# "
    text = head + "x" * (MAX_FILE_BYTES - len(head) - 1) + "\n"
    assert len(text.encode()) == MAX_FILE_BYTES
    assert list(load(write_tree(tmp_path / "wf", {"a.yaml": text})).workflows) == ["a"]


@pytest.mark.parametrize(
    ("held", "limit", "read"), [(60_000, 100_000, 60_000), (5_000, 1_001, 1_001)]
)
def test_a_file_is_read_to_its_end_over_short_reads_and_no_further_than_the_limit(
    held: int, limit: int, read: int
) -> None:
    # A pipe (under its 64 KiB buffer, so the write does not block) answers a read with what it
    # holds, as a file that grows after it was measured does.
    out, into = os.pipe()
    with os.fdopen(into, "wb") as writer:
        writer.write(b"x" * held)
    try:
        assert _read_to_end(out, expected=10, limit=limit) == b"x" * read
    finally:
        os.close(out)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbf" + MINIMAL.encode(), None),
        (MINIMAL.replace("\n", "\r\n").encode(), None),
        (b"\xef\xbb\xbfname: A\r\ndefinition: {}\r\nextra: 1\r\n", "a.yaml:3:1: unknown field"),
        (b"name: A\x00\ndefinition: {}\n", "a.yaml:1:8: character U+0000 is not allowed in YAML"),
        (b"name: A\ndefinition: {}\n\x1b[31m\n", "a.yaml:3:1: character U+001B is not allowed"),
        (b"\xff\xfen\x00a\x00", "a.yaml:1:1: not valid UTF-8: byte 0xff"),
    ],
)
def test_encodings_line_endings_and_control_characters(
    tmp_path: Path, data: bytes, expected: str | None
) -> None:
    folder = write_tree(tmp_path / "wf", {"a.yaml": data})
    if expected is None:
        assert load(folder).workflows["a"].spec.name == "Minimal"
    else:
        assert only_problem(folder).startswith(expected)


def test_a_loaded_state_round_trips_through_json(tmp_path: Path) -> None:
    state = load(write_tree(tmp_path / "wf", {"a.yaml": FULL, "b.yaml": PIPELINE}))
    for workflow in state.workflows.values():
        body = workflow.spec.to_api()
        assert json.loads(json.dumps(body)) == body


SECRETS_FILE = """\
name: "Hotline ${secret.HOTLINE}"
description: "Built for ${env.COMPANY}"
definition:
  graph:
    nodes:
      - id: script
        type: source_script
        position: {x: 0, y: 0}
        config: {script_text: "Your code is ${secret.TOKEN}.", tags: [a, "${secret.TOKEN}"]}
      - {id: out, type: sink_preview, position: {x: 280, y: 0}}
    edges:
      - {id: e1, source: script, sourcePort: lines, target: out, targetPort: lines}
"""


def test_the_places_a_secret_went_are_recorded_never_its_value(tmp_path: Path) -> None:
    env = {"HOTLINE": "hl-5512", "TOKEN": "vt-7Qz93", "COMPANY": "Northwind"}
    folder = write_tree(tmp_path / "wf", {"a.yaml": SECRETS_FILE, "b.yaml": PIPELINE})

    state = load(folder, env)

    script = ("definition", "graph", "nodes[script]", "config")
    assert state.workflows["a"].secret_paths == (
        (*script, "script_text"),
        (*script, "tags"),  # a list is one place, as the diff shows it
        ("name",),
    )  # not the description: ${env.X} is no secret
    assert state.workflows["b"].secret_paths == ()
    assert state.secret_values == {"hl-5512", "vt-7Qz93"}


def test_an_id_holding_a_secret_is_refused_without_quoting_it(tmp_path: Path) -> None:
    """Ids name nodes and edges in every plan, saved plan and lockfile rule: none may be a
    secret (an id is no place for one)."""
    text = """\
name: A
definition:
  graph:
    nodes:
      - {id: "${secret.NODE_ID}", type: source_script}
      - {id: out, type: sink_preview}
    edges:
      - {id: "e-${secret.NODE_ID}", source: "${secret.NODE_ID}", sourcePort: lines,
         target: out, targetPort: lines}
"""
    found = problems(write_tree(tmp_path / "wf", {"a.yaml": text}), {"NODE_ID": "TopSecret42"})

    must_not = "an id must not hold a ${secret.…} value: ids name the nodes and edges in every plan"
    assert [p.split(": ", 1)[0] for p in found] == ["a.yaml:5:14", "a.yaml:8:14"]
    assert all(must_not in p for p in found)
    assert all("TopSecret42" not in p for p in found)


def test_a_node_id_with_a_bracket_needs_a_position(tmp_path: Path) -> None:
    """A node without a position gets a rule keeping the workspace's position, which names
    the node by id in brackets: an id with ']' cannot be named there."""
    text = (
        "name: Bracket\n"
        "definition:\n"
        "  graph:\n"
        "    nodes:\n"
        "      - {id: 'sc]', type: source_script, config: {script_text: hi}}\n"
        "      - {id: 'out]', type: sink_preview, position: {x: 1, y: 0}}\n"
        "    edges:\n"
        "      - {id: e1, source: 'sc]', sourcePort: lines, target: 'out]', targetPort: lines}\n"
    )
    assert problems(write_tree(tmp_path / "wf", {"a.yaml": text})) == [
        "a.yaml:5:14: definition.graph.nodes[0].id: node 'sc]' has no position, and an id with "
        "']' cannot be named in the rule that keeps the workspace's position for it; give it a "
        "position"
    ]
