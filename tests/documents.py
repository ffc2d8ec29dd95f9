"""Checking a `--json` document against the JSON Schema of its kind, as installed with the
package (`onepin_sync/schemas/`)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema


def shipped_schema(kind: str) -> dict[str, Any]:
    """The schema of `kind` as installed with the package."""
    path = resources.files("onepin_sync") / "schemas" / f"{kind}.schema.json"
    loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return loaded


def check_document(document: Any) -> None:
    """`document` is a version-1 document, valid against the shipped schema of its kind."""
    assert document["format_version"] == 1
    schema = shipped_schema(document["kind"])
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)
