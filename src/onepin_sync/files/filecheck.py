"""Checks of one parsed workflow file: the file format's fields and types, then the graph.

Three passes over the plain values the YAML layer built (after `${env.X}` / `${secret.X}` were
filled in), each reporting every problem it finds:

- `format_problems`: the strict `fileformat` models: unknown fields (with a did-you-mean), missing
  fields, wrong types (never coerced: `10` where a string belongs says to quote it), lengths;
  inside the definition, extra keys that read like a misspelt known key (`extra_key_problems`);
- `text_problems`: the API's save rules for the characters of the name and the description
  (blank, control characters, whitespace at either end of a name; see `fileformat`);
- `graph_problems`: node types from the catalogue, unique node and edge ids, edges and execution
  steps that name existing nodes, edge ports that the node types have. Whether a workflow can run
  is the API's business (`validate --online`), not this module's.

Problems carry a path into the file (`definition.graph.edges[2].sourcePort`); the loader turns the
path into a line and column. Messages never quote a string that holds a secret.

Pure: no IO, clock or environment.
"""

from __future__ import annotations

import difflib
import types
import typing
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from onepin_sync.core.catalog import BUNDLED, Catalogue, NodeTypeSpec
from onepin_sync.files.extrakeys import misspelt_extra_keys
from onepin_sync.files.fileformat import DESCRIPTION_REFUSED, NAME_REFUSED, WorkflowFile
from onepin_sync.files.yamlcore import describe_value

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A problem at `path` in the file; `at` says whether the key or its value is at fault."""

    path: FieldPath
    message: str
    at: Literal["key", "value"] = "value"
    catalogue: bool = False  # a node type or port the catalogue checked against lacks


@dataclass(frozen=True, slots=True)
class MessageContext:
    """What messages need to know about the file beyond its values.

    `secret_strings`: strings that hold an interpolated secret (never quoted);
    `source_text`: how a scalar at a path was written, when that helps (`010` for 10).
    """

    secret_strings: Collection[str] = frozenset()
    source_text: Callable[[FieldPath], str | None] = field(default=lambda _path: None)

    def quote(self, text: str) -> str:
        """`'text'` for messages (shortened), or a stand-in when it holds a secret."""
        if text in self.secret_strings:
            return "(a value containing a secret)"
        return describe_value(text).removeprefix("string ")

    def did_you_mean(self, word: str, choices: Iterable[str]) -> str:
        """A "; did you mean 'x'?" hint, never suggesting a value that holds a secret."""
        match = closest_match(word, (c for c in choices if c not in self.secret_strings))
        return f"; did you mean {match!r}?" if match is not None else ""

    def describe(self, path: FieldPath, value: Any) -> str:
        """`integer 10 (written 010)`, `string 'x'`, `a list`: what the file has at `path`."""
        if isinstance(value, str):
            return "string " + self.quote(value)
        described = describe_value(value)
        if value is not None and not isinstance(value, dict | list):
            written = self.source_text(path)
            if written is not None and written != str(value) and written != described.split()[-1]:
                described += f" (written {written})"
        return described


def dotted(path: Iterable[str | int]) -> str:
    """`definition.graph.edges[2].sourcePort`."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def _at(path: FieldPath, message: str) -> str:
    return f"{dotted(path)}: {message}" if path else message


def closest_match(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` most likely meant: same letters ignoring case and `_`/`-`, else difflib."""
    options = list(choices)

    def folded(text: str) -> str:
        return text.lower().replace("_", "").replace("-", "")

    for option in options:
        if folded(option) == folded(word):
            return option
    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return found[0] if found else None


# --- the file format -----------------------------------------------------------------------------

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}


def format_problems(
    data: Mapping[str, Any], context: MessageContext, model: type[BaseModel] = WorkflowFile
) -> list[FieldProblem]:
    """Every way `data` (the parsed file) breaks the strict format `model` (a workflow file),
    misspelt extra keys in the definition included (`extrakeys`)."""
    misspelt = misspelt_extra_keys(data) if model is WorkflowFile else []
    try:
        model.model_validate(data)
    except ValidationError as error:
        details = error.errors(include_url=False)
    else:
        details = []
    # "missing X" is noise after "unknown Y; did you mean X?"
    suggested: set[FieldPath] = {(*path[:-1], match) for path, match in misspelt}
    problems = [_unknown_field(path, f"; did you mean {match!r}?") for path, match in misspelt]
    for detail in details:
        if detail["type"] != "extra_forbidden":
            continue
        path: FieldPath = tuple(detail["loc"])
        allowed = _field_names(model, path[:-1])
        match = closest_match(str(path[-1]), allowed)
        if match is not None:
            suggested.add((*path[:-1], match))
        hint = f"; did you mean {match!r}?" if match else f" (allowed: {', '.join(allowed)})"
        problems.append(_unknown_field(path, hint))
    for detail in details:
        path = tuple(detail["loc"])
        kind = detail["type"]
        if kind == "extra_forbidden" or path in suggested:
            continue
        problems.append(FieldProblem(path, _field_message(kind, path, detail, context)))
    return problems


def _unknown_field(path: FieldPath, hint: str) -> FieldProblem:
    message = f"unknown field {describe_value(str(path[-1])).removeprefix('string ')}{hint}"
    return FieldProblem(path, _at(path[:-1], message), at="key")


def _field_message(
    kind: str, path: FieldPath, detail: Mapping[str, Any], context: MessageContext
) -> str:
    value = detail.get("input")
    if kind == "missing":
        return _at(path[:-1], f"missing required field {path[-1]!r}")
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        hint = ""
        if kind == "string_type" and isinstance(value, int | float | bool):
            hint = " — quote it"
        elif kind == "bool_type" and isinstance(value, str):
            hint = " (YAML 1.2: only true and false are booleans)"
        elif kind == "float_type" and isinstance(value, int) and not isinstance(value, bool):
            return _at(path, "is an integer too large for a number here (at most about 1.8e308)")
        return _at(path, f"expected {expected}, got {context.describe(path, value)}{hint}")
    if kind == "string_too_short":
        return _at(path, "must not be empty")
    if kind == "string_unicode":  # lone surrogates: from a variable whose value is not UTF-8
        return _at(path, "is not valid Unicode text (a variable's value that is not UTF-8?)")
    if kind == "value_error":  # a validator's own message, without pydantic's "Value error, "
        return _at(path, str(detail.get("ctx", {}).get("error", detail.get("msg", "is invalid"))))
    if kind == "string_too_long":
        limit = detail.get("ctx", {}).get("max_length")
        return _at(path, f"is {len(str(value))} characters long; the limit is {limit}")
    return _at(path, str(detail.get("msg", "is invalid")))


def _field_names(root: type[BaseModel], path: FieldPath) -> list[str]:
    """The fields (by their names in the file) of the model that validates `path`."""
    model: type[BaseModel] | None = root
    keyed = False  # the previous step was a field holding a mapping of models: skip its key
    for step in path:
        if model is None:
            return []
        if isinstance(step, int) or keyed:
            keyed = False
            continue
        by_name = {info.alias or name: info for name, info in model.model_fields.items()}
        info = by_name.get(step)
        model = _model_in(info.annotation) if info is not None else None
        keyed = info is not None and typing.get_origin(info.annotation) in _MAPPINGS
    return [] if model is None else [i.alias or n for n, i in model.model_fields.items()]


_MAPPINGS = (dict, Mapping)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside `X | None`, `list[X]` or a mapping of `X`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, types.UnionType, typing.Union, *_MAPPINGS):
        for argument in typing.get_args(annotation):
            model = _model_in(argument)
            if model is not None:
                return model
    return None


# --- names and descriptions ----------------------------------------------------------------------

_CONTROL_NAMES = {"\0": "NUL", "\t": "tab", "\n": "line feed", "\r": "carriage return"}


def text_problems(data: Mapping[str, Any], context: MessageContext) -> list[FieldProblem]:
    """What the API's save rules refuse in the name and the description, one problem per rule.

    Values of the wrong type and empty or overlong values are `format_problems`' to report.
    Messages name characters by code point and position, and never suggest a value that holds a
    secret.
    """
    problems: list[FieldProblem] = []
    name = data.get("name")
    if isinstance(name, str) and name:
        problems += [_problem(("name",), message) for message in _name_messages(name, context)]
    description = data.get("description")
    if isinstance(description, str):
        problems += [
            _problem(("description",), message)
            for message in _character_messages(description, 0, DESCRIPTION_REFUSED)
        ]
    return problems


def _name_messages(name: str, context: MessageContext) -> list[str]:
    trimmed = name.strip()
    if not trimmed:
        return ["must not be blank"]
    start = len(name) - len(name.lstrip())
    # Refused characters at either end are whitespace too: the trimmed name fixes both.
    messages = _character_messages(trimmed, start, NAME_REFUSED)
    if trimmed != name:
        fix = "" if name in context.secret_strings else f"; write {trimmed!r}"
        messages.append(
            "must not start or end with whitespace (the API may trim it, and the stored name "
            f"would then differ from the file){fix}"
        )
    composed = unicodedata.normalize("NFC", trimmed)
    if composed != trimmed:
        fix = "" if name in context.secret_strings else f"; write {composed!r}"
        messages.append(
            "must be in Unicode normal form C, letters and accents composed (the API may "
            f"compose them, and the stored name would then differ from the file){fix}"
        )
    return messages


def _character_messages(
    text: str, start: int, rules: Iterable[tuple[str, Collection[str]]]
) -> list[str]:
    """One message per rule that `text` (found at `start` in the value) breaks."""
    found = [(what, [i for i, ch in enumerate(text) if ch in chars]) for what, chars in rules]
    return [f"must not contain {what} ({_where(text, at, start)})" for what, at in found if at]


def _where(text: str, positions: Sequence[int], start: int) -> str:
    """`U+0009 tab at character 5, and 2 more`: the first offending character (1-based)."""
    first = positions[0]
    character = text[first]
    label = _CONTROL_NAMES.get(character) or unicodedata.name(character, "")
    shown = f"U+{ord(character):04X}" + (f" {label}" if label else "")
    more = f", and {len(positions) - 1} more" if len(positions) > 1 else ""
    return f"{shown} at character {start + first + 1}{more}"


# --- the graph -----------------------------------------------------------------------------------


def graph_problems(
    data: Mapping[str, Any], context: MessageContext, catalogue: Catalogue = BUNDLED
) -> list[FieldProblem]:
    """Catalogue types, unique ids, and references to nodes and ports, in the parsed file.

    Reads defensively: entries of the wrong shape were reported by `format_problems` and are
    skipped here, so both passes together report everything at once.
    """
    definition = _mapping(data.get("definition"))
    graph = _mapping(definition.get("graph"))
    problems: list[FieldProblem] = []
    known = catalogue.node_types
    node_types = _check_nodes(graph.get("nodes"), known, context, problems)
    _check_edges(graph.get("edges"), node_types, known, context, problems)
    steps = _mapping(definition.get("execution")).get("steps")
    for index, step in enumerate(_list(steps)):
        if isinstance(step, str) and step not in node_types:
            message = (
                f"no node with id {context.quote(step)}{context.did_you_mean(step, node_types)}"
            )
            problems.append(_problem(("definition", "execution", "steps", index), message))
    return problems


def _problem(path: FieldPath, message: str) -> FieldProblem:
    return FieldProblem(path, _at(path, message))


_SECRET_ID = (
    "an id must not hold a ${secret.…} value: ids name the nodes and edges in every plan and in "
    "the lockfile, where no secret may show"
)


def _check_nodes(
    nodes: Any,
    known: Mapping[str, NodeTypeSpec],
    context: MessageContext,
    problems: list[FieldProblem],
) -> dict[str, str]:
    """Reports unknown types and duplicate ids; returns each node id's type ("" if unusable)."""
    node_types: dict[str, str] = {}
    first_index: dict[str, int] = {}
    for index, node in _entries(nodes):
        path: FieldPath = ("definition", "graph", "nodes", index)
        node_id, node_type = node.get("id"), node.get("type")
        if isinstance(node_type, str) and node_type not in known:
            near = closest_match(node_type, known)
            hint = f"; did you mean {near!r}?" if near else f" (known: {', '.join(known)})"
            message = f"unknown node type {context.quote(node_type)}{hint}"
            problems.append(
                FieldProblem((*path, "type"), _at((*path, "type"), message), "value", True)
            )
        if not isinstance(node_id, str):
            continue
        if node_id in first_index:
            earlier = first_index[node_id]
            message = (
                f"duplicate node id {context.quote(node_id)} (already used by nodes[{earlier}])"
            )
            problems.append(_problem((*path, "id"), message))
            continue
        first_index[node_id] = index
        node_types[node_id] = node_type if isinstance(node_type, str) else ""
        if node_id in context.secret_strings:
            problems.append(_problem((*path, "id"), _SECRET_ID))
        elif "]" in node_id and node.get("position") is None:
            message = (
                f"node {context.quote(node_id)} has no position, and an id with ']' cannot be "
                "named in the rule that keeps the workspace's position for it; give it a position"
            )
            problems.append(_problem((*path, "id"), message))
    return node_types


def _check_edges(
    edges: Any,
    node_types: Mapping[str, str],
    known: Mapping[str, NodeTypeSpec],
    context: MessageContext,
    problems: list[FieldProblem],
) -> None:
    """Reports duplicate edge ids, and ends that miss a node or a port of its type."""
    first_index: dict[str, int] = {}
    for index, edge in _entries(edges):
        path: FieldPath = ("definition", "graph", "edges", index)
        edge_id = edge.get("id")
        if isinstance(edge_id, str):
            if edge_id in context.secret_strings:
                problems.append(_problem((*path, "id"), _SECRET_ID))
            if edge_id in first_index:
                earlier = first_index[edge_id]
                message = (
                    f"duplicate edge id {context.quote(edge_id)} (already used by edges[{earlier}])"
                )
                problems.append(_problem((*path, "id"), message))
            else:
                first_index[edge_id] = index
        for end, port_field in (("source", "sourcePort"), ("target", "targetPort")):
            node_id, port = edge.get(end), edge.get(port_field)
            if not isinstance(node_id, str):
                continue
            if node_id not in node_types:
                hint = context.did_you_mean(node_id, node_types)
                problems.append(
                    _problem((*path, end), f"no node with id {context.quote(node_id)}{hint}")
                )
                continue
            spec = known.get(node_types[node_id])
            if spec is None or not isinstance(port, str):
                continue
            direction, ports = (
                ("output", spec.outputs) if end == "source" else ("input", spec.inputs)
            )
            if port not in ports:
                have = f"{direction}s: {', '.join(ports)}" if ports else f"it has no {direction}s"
                message = (
                    f"{context.quote(port)} is not an {direction} of {spec.node_type} ({have})"
                    + context.did_you_mean(port, ports)
                )
                at_port: FieldPath = (*path, port_field)
                problems.append(FieldProblem(at_port, _at(at_port, message), catalogue=True))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _entries(value: Any) -> Iterable[tuple[int, Mapping[str, Any]]]:
    return ((i, entry) for i, entry in enumerate(_list(value)) if isinstance(entry, dict))
