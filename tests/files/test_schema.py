"""The committed JSON Schema is generated from the file-format models and kept current."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from onepin_sync.core.catalog import NODE_TYPES
from onepin_sync.files.fileformat import (
    SCHEMA_DIALECT,
    main,
    workflow_json_schema,
    workflow_json_schema_text,
)

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "workflow.schema.json"
UPDATE_VARIABLE = "ONEPIN_SYNC_UPDATE_SCHEMA"


def test_the_committed_schema_is_current() -> None:
    expected = workflow_json_schema_text()
    if os.environ.get(UPDATE_VARIABLE) == "1":
        SCHEMA_PATH.write_text(expected, encoding="utf-8")
    committed = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
    assert committed == expected, (
        f"{SCHEMA_PATH.name} is stale; rerun this test with {UPDATE_VARIABLE}=1 to rewrite it"
    )


def test_the_schema_text_is_sorted_with_two_space_indent_and_a_trailing_newline() -> None:
    text = workflow_json_schema_text()
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_the_module_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    main()
    assert capsys.readouterr().out == workflow_json_schema_text()


def test_the_schema_describes_the_file_format() -> None:
    schema = workflow_json_schema()
    assert schema["$schema"] == SCHEMA_DIALECT
    assert schema["$id"].startswith("urn:onepin-sync:")
    assert schema["title"] == "Onepin workflow file"
    assert schema["required"] == ["name", "definition"]
    assert schema["additionalProperties"] is False
    defs = schema["$defs"]
    assert defs["FileNode"]["properties"]["type"]["enum"] == sorted(NODE_TYPES)
    assert defs["FileEdge"]["required"] == ["id", "source", "sourcePort", "target", "targetPort"]
    closed = {"Onepin workflow file", "Lifecycle"}  # onepin-sync's own: unknown keys are typos
    assert defs["FileLifecycle"]["additionalProperties"] is False
    assert all(  # inside the definition, extra keys are kept (a newer server's additions)
        model["additionalProperties"] is True
        for model in defs.values()
        if model["title"] not in closed
    )
    free_form = defs["FileNode"]["properties"]["config"]["anyOf"][0]
    assert free_form == {"additionalProperties": True, "type": "object"}
    assert schema["properties"]["name"]["maxLength"] == 200
