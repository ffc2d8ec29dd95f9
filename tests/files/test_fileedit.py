"""Editing a parsed file to say what the workspace holds, changing only what differs."""

from __future__ import annotations

from onepin_sync.core.diff import differences
from onepin_sync.core.models import WorkflowSpec
from onepin_sync.files.fileedit import apply_changes
from onepin_sync.files.roundtrip import Document
from onepin_sync.files.scaffold import template
from onepin_sync.files.yamlstrict import parse_document

TEXT = """\
name: A  # shown in the app
description: 'Old.'
definition:
  graph:
    nodes:
    - id: s       # first
      type: source_script
      config: {script_text: "Hi", source_language: en-us}
    - {id: o, type: sink_preview, position: {x: 280, y: 0}}
    edges: [{id: e1, source: s, sourcePort: lines, target: o, targetPort: lines}]
# end
"""


def _edited(remote: dict[str, object]) -> str:
    value, problems = parse_document(TEXT)
    assert problems == []
    desired = WorkflowSpec.model_validate(value)
    wanted = WorkflowSpec.model_validate(remote)
    document = Document(TEXT)
    apply_changes(document.tree, differences(wanted, desired).changes, remote)
    return document.dump()


def _remote(**changes: object) -> dict[str, object]:
    value, _ = parse_document(TEXT)
    assert isinstance(value, dict)
    return {**value, **changes}


def test_nothing_changed_is_the_same_text() -> None:
    assert _edited(_remote()) == TEXT


def test_a_changed_scalar_keeps_its_quotes_and_every_comment() -> None:
    assert _edited(_remote(description="New.")) == TEXT.replace("'Old.'", "'New.'")


def test_a_removed_description_and_a_new_node_change_only_their_lines() -> None:
    remote = _remote()
    del remote["description"]
    definition = remote["definition"]
    assert isinstance(definition, dict)
    definition["graph"]["nodes"].append({"id": "q", "type": "validator_noise"})
    definition["graph"]["nodes"][0]["config"]["script_text"] = "Hello"

    edited = _edited(remote)

    assert "description" not in edited
    assert 'config: {script_text: "Hello", source_language: en-us}' in edited
    assert (
        "position: {x: 280, y: 0}}\n    - id: q\n      type: validator_noise\n    edges:" in edited
    )
    assert edited.endswith("# end\n")
    assert "name: A  # shown in the app\n" in edited
    assert "- id: s       # first\n" in edited


def test_a_sequence_under_a_key_with_a_comment_keeps_its_indentation() -> None:
    """`init`'s example has `nodes: # no positions: …`; ruamel.yaml's guess of the indentation
    misread it, and a one-field pull re-indented every node (and broke `fmt --check`)."""
    text = template("workflows/welcome-call.yaml")
    assert "nodes: # no positions" in text

    document = Document(text)

    assert document.dump() == text
