"""The workflow file format: strict pydantic models of one YAML file, and its JSON Schema.

One workflow per file:

    name: Welcome call                  # required, 1-200 characters, one line (see below)
    description: Greets new customers.  # optional, at most 5000 characters; null -> null
    lifecycle:                          # optional; read by onepin-sync, never sent to the API
      prevent_destroy: true             #   refuse to plan a delete
      destroy: false                    #   removing the file forgets the workflow, keeps it
      ignore_changes: [description]     #   paths whose differences are never changes
    definition:                         # the API's definition: graph + execution
      graph:
        nodes: [{id, type, name?, position?, config?, config_version?}]
        edges: [{id, source, sourcePort, target, targetPort}]
      execution: {steps?: [node ids], params?: {...}}

The top level and `lifecycle` are closed: an unknown key there is an error (a typo such as
`descripton` must not pass silently). Inside `definition` (the API's own object: the definition,
the graph, nodes, edges, positions and the execution plan) a key the format does not name is an
extra key: part of the desired spec, sent to the API as it is and counted in the fingerprints, so
a file imported from a newer server round-trips whole. One exception keeps typo detection: an
extra key that reads like a misspelt known key (`Type`, `source_port`, `param`) is refused as a
typo (`extrakeys`). `config` and `execution.params` are free-form. A field the format names,
set to null, counts as omitted; an extra key set to null is kept. These models validate the
parsed file and generate `schemas/workflow.schema.json`; the loader sends the parsed values
themselves, so integers stay integers and nothing absent is invented.

The characters a name and a description may hold are defined here (`NAME_REFUSED`,
`DESCRIPTION_REFUSED`) and checked by `filecheck.text_problems`, which explains each refusal; the
schema carries the same rules as a `pattern` for editors.

`python -m onepin_sync.files.fileformat` prints the schema. Pure: no IO, clock or environment.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from onepin_sync.core.catalog import NODE_TYPES

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:onepin-sync:schema:workflow-file:1"
_NODE_TYPE_NAMES: list[JsonValue] = [*sorted(NODE_TYPES)]

# The API's save rules for names and descriptions (API notes, section 4.2). Documented: a name is
# 1-200 characters and not blank, a description at most 5000 characters, and a server-side "name
# policy" disallows some characters in names, a set it does not publish. Our assumption of that
# set is the smallest one such a policy plausibly holds: control characters (C0, DEL and C1, tab
# and newline included: the emulator refuses exactly these), the line and paragraph separators
# (a name is one line) and the bidirectional embedding, override and isolate controls (they make
# a name display as other text). Also our choice: no leading or trailing whitespace, as the API
# trims a name when it checks its availability and may trim it when it stores it, and a stored
# name that differs from the file would be an update in every plan. A description is multi-line
# text: it refuses control characters other than tab, newline and carriage return.
NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
CONTROL_CHARACTERS = frozenset(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))
LINE_SEPARATORS = frozenset("\u2028\u2029")
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
NAME_REFUSED: tuple[tuple[str, frozenset[str]], ...] = (
    ("control characters", CONTROL_CHARACTERS),
    ("line or paragraph separators", LINE_SEPARATORS),
    ("text direction controls", DIRECTION_CONTROLS),
)
DESCRIPTION_REFUSED: tuple[tuple[str, frozenset[str]], ...] = (
    ("control characters other than tab and newline", CONTROL_CHARACTERS - set("\t\n\r")),
)
# What `str.strip` removes (the whitespace a server written in Python would trim); all below U+3001.
WHITESPACE = frozenset(c for c in map(chr, range(0x3001)) if c.isspace())


def _character_class(chars: frozenset[str]) -> str:
    """A regular-expression class body of `chars` in `\\uXXXX` escapes (ECMA-262 and Python)."""
    codes = sorted(map(ord, chars))
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges
    )


def _name_pattern() -> str:
    """One character, or more with no whitespace at either end; no refused character anywhere.

    (Lone surrogates are refused by `filecheck` but left out here: in an editor's non-Unicode
    regular expressions they would match the halves of every emoji.)"""
    refused = frozenset().union(*(chars for _, chars in NAME_REFUSED))
    edge = f"[^{_character_class(refused | WHITESPACE)}]"
    return f"^(?:{edge}|{edge}[^{_character_class(refused)}]*{edge})$"


def _description_pattern() -> str:
    refused = frozenset().union(*(chars for _, chars in DESCRIPTION_REFUSED))
    return f"^[^{_character_class(refused)}]*$"


class _Closed(BaseModel):
    """A mapping of the file: unknown keys and wrong types (no coercion) are errors."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        defer_build=True,
        field_title_generator=lambda name, info: info.alias or name,
    )


class _Open(_Closed):
    """A mapping inside the definition: extra keys are kept (see the module docstring)."""

    model_config = ConfigDict(extra="allow")


class FilePosition(_Open):
    model_config = ConfigDict(title="Position")

    x: float = Field(description="Horizontal position in the Onepin editor.")
    y: float = Field(description="Vertical position in the Onepin editor.")


class FileNode(_Open):
    model_config = ConfigDict(title="Node")

    id: str = Field(min_length=1, description="Unique within the workflow; edges refer to it.")
    type: str = Field(
        description="Node type from the Onepin node catalogue.",
        json_schema_extra={"enum": _NODE_TYPE_NAMES},
    )
    name: str | None = Field(default=None, description="Display name in the editor.")
    position: FilePosition | None = Field(
        default=None,
        description="Editor position; omitted -> generated left-to-right from the edges.",
    )
    config: dict[str, Any] | None = Field(
        default=None, description="Node settings, free-form (see the node type's config schema)."
    )
    config_version: int | None = Field(
        default=None, description="Config schema version; the server migrates older configs."
    )


class FileEdge(_Open):
    model_config = ConfigDict(title="Edge")

    id: str = Field(min_length=1, description="Unique within the workflow.")
    source: str = Field(description="Id of the node the edge leaves.")
    source_port: str = Field(
        alias="sourcePort", description="Output port of the source node type (e.g. lines, fail)."
    )
    target: str = Field(description="Id of the node the edge enters.")
    target_port: str = Field(
        alias="targetPort", description="Input port of the target node type (e.g. lines)."
    )


class FileGraph(_Open):
    model_config = ConfigDict(title="Graph")

    nodes: list[FileNode] | None = Field(default=None, description="The nodes; omitted -> none.")
    edges: list[FileEdge] | None = Field(default=None, description="The edges; omitted -> none.")


class FileExecution(_Open):
    model_config = ConfigDict(title="Execution")

    steps: list[str] | None = Field(default=None, description="Node ids in execution order.")
    params: dict[str, Any] | None = Field(default=None, description="Run parameters, free-form.")


class FileDefinition(_Open):
    model_config = ConfigDict(title="Definition")

    graph: FileGraph | None = Field(default=None, description="Nodes and edges.")
    execution: FileExecution | None = Field(default=None, description="Execution plan.")


class FileLifecycle(_Closed):
    model_config = ConfigDict(title="Lifecycle")

    prevent_destroy: bool | None = Field(
        default=None, description="Refuse to plan a delete of this workflow (default false)."
    )
    destroy: bool | None = Field(
        default=None,
        description=(
            "false: removing this file stops managing the workflow and leaves it in Onepin"
            " instead of deleting it (default true)."
        ),
    )
    ignore_changes: list[str] | None = Field(
        default=None,
        description=(
            "Paths of fields whose differences are never changes, e.g. description,"
            " definition.graph.nodes[*].position, definition.graph.nodes[voice].config.speed;"
            " an update keeps the workspace's values there."
        ),
    )


class WorkflowFile(_Closed):
    model_config = ConfigDict(title="Onepin workflow file")

    name: str = Field(
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        json_schema_extra={"pattern": _name_pattern()},
        description=(
            "Display name of the workflow in Onepin (need not be unique): one line, without"
            " control characters or whitespace at either end."
        ),
    )
    description: str | None = Field(
        default=None,
        max_length=DESCRIPTION_MAX_LENGTH,
        json_schema_extra={"pattern": _description_pattern()},
        description="Optional description: no control characters but tab and line breaks.",
    )
    lifecycle: FileLifecycle | None = Field(
        default=None, description="Rules for onepin-sync itself; never sent to the API."
    )
    definition: FileDefinition = Field(description="The workflow graph and execution plan.")


def workflow_json_schema() -> dict[str, Any]:
    """The JSON Schema of a workflow file, for editors (`# yaml-language-server: $schema=...`)."""
    schema = WorkflowFile.model_json_schema(by_alias=True)
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, **schema}


def workflow_json_schema_text() -> str:
    """The schema as committed in `schemas/workflow.schema.json`: sorted, 2-space indent."""
    return json.dumps(workflow_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    """`python -m onepin_sync.files.fileformat` prints the schema (redirect it to the file)."""
    print(workflow_json_schema_text(), end="")


if __name__ == "__main__":
    main()
