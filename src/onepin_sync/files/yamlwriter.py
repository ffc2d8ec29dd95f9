"""Writing a workflow file from a spec (used by `import`): readable, and read back exactly.

In the canonical layout of `roundtrip` (the one `fmt` makes). Server-managed node fields
(`config_version`) are left out, every other key the server returned is kept (extra keys
included), and whole-number coordinates are written as integers. A string that the YAML 1.2 core
schema would read as something else (`no` is fine, `0o17`, `true` or `1.5` are not) is quoted, and
every `${` in a value is written `$${`, the literal form (the workspace's text is never a
placeholder to fill), so the file means exactly the spec; `workflow_yaml` checks that by parsing
its own output. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from onepin_sync.core.diff import json_equal
from onepin_sync.core.models import Json, Lifecycle, WorkflowSpec
from onepin_sync.files.roundtrip import new_text
from onepin_sync.files.yamlstrict import parse_document


def file_document(spec: WorkflowSpec, lifecycle: Lifecycle | None = None) -> dict[str, Json]:
    """The file's content as plain data: what `workflow_yaml` writes and the loader reads back."""
    document: dict[str, Json] = {"name": spec.name}
    if spec.description is not None:
        document["description"] = spec.description
    if lifecycle is not None and lifecycle != Lifecycle():
        rules = lifecycle.model_dump(exclude_defaults=True)
        document["lifecycle"] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in rules.items()
        }
    document["definition"] = _file_definition(spec.definition)
    literal = _literal(document)
    assert isinstance(literal, dict)
    return literal


def workflow_yaml(
    spec: WorkflowSpec,
    *,
    lifecycle: Lifecycle | None = None,
    header: str = "",
) -> str:
    """The text of a workflow file for `spec`; raises ValueError if it would not read back."""
    document = file_document(spec, lifecycle)
    text = new_text(document, header)
    value, problems = parse_document(text)
    if problems or not json_equal(value, document):
        raise ValueError("the generated workflow file does not read back as the same workflow")
    return text


def _file_definition(definition: Mapping[str, Json]) -> dict[str, Json]:
    """The definition as a file holds it: every key the server returned (extra keys included,
    see `fileformat`) but the server's own bookkeeping, `config_version`, which it sets itself."""
    result = dict(definition)
    graph = definition.get("graph")
    if isinstance(graph, Mapping):
        nodes = [_file_node(node) for node in graph.get("nodes") or []]
        result["graph"] = {**graph, "nodes": nodes, "edges": list(graph.get("edges") or [])}
    return result


def _file_node(node: Json) -> Json:
    if not isinstance(node, Mapping):
        return node
    entry = {k: v for k, v in node.items() if k != "config_version"}
    position = entry.get("position")
    if isinstance(position, Mapping):
        entry["position"] = {k: _whole(v) for k, v in position.items()}
    return entry


def _whole(value: Json) -> Json:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _literal(value: Json) -> Json:
    """`value` with every `${` in its strings (not its keys, which are never interpolated)
    written as `$${`, which the loader reads back as `${`."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, Mapping):
        return {k: _literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal(v) for v in value]
    return value
