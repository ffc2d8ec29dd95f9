"""Save-time validation, as the real server runs it on create, PUT and PATCH (422 on failure).

Fields, as documented: `name` 1-200 characters and not blank; `description` at most 5000
characters. The name is checked as it will be stored: as sent in the `current` profile (the
documentation says an explicit name is stored as-is), trimmed first in `next`; name-availability
always trims first, as documented. Our assumptions: the real name policy also bans an unpublished
set of characters, of which the emulator bans only control characters; the 200 limit counts code
points. Definition structure (every object may carry extra keys):

    definition   {graph?: {nodes?: [node], edges?: [edge]}, execution?: {steps?: [id], params?: {}}}
    node         id (non-empty string), type (in the profile's catalogue), position {x: number,
                 y: number}, name? string, config? object, config_version? integer
    edge         id, source, sourcePort, target, targetPort: strings

plus: node ids unique, edge ids unique, edges and `execution.steps` reference existing nodes, and an
edge's `sourcePort` is an output of its source node's type and `targetPort` an input of its
target's. Each problem carries a rule name, also used by `POST /workflows/validate`:
`invalid_type`, `missing_field`, `unknown_node_type`, `duplicate_node_id`, `duplicate_edge_id`,
`dangling_edge`, `incompatible_ports`, `unknown_step`.

Pure: imports the emulator's node catalogue and the envelope's `FieldError` only.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from onepin_sync.emulator.catalog import CURRENT_NODE_TYPES, NodeTypeSpec
from onepin_sync.emulator.envelope import FieldError

NAME_MAX = 200
DESCRIPTION_MAX = 5000
_EDGE_FIELDS = ("id", "source", "sourcePort", "target", "targetPort")


@dataclass(frozen=True, slots=True)
class DefinitionProblem:
    """One thing wrong with a definition, addressed by field path and (when known) node id."""

    rule: str
    field: str
    message: str
    node_id: str | None = None

    def to_field_error(self) -> FieldError:
        return FieldError(self.field, self.message)


def check_name(name: str, field: str = "name") -> list[FieldError]:
    """Problems with a workflow name (empty list when it is acceptable)."""
    if not name.strip():
        return [FieldError(field, "must not be blank")]
    if not _is_unicode(name):
        return [FieldError(field, "must contain only valid Unicode text")]
    if len(name) > NAME_MAX:
        return [FieldError(field, f"must be at most {NAME_MAX} characters (got {len(name)})")]
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return [FieldError(field, "must not contain control characters")]
    return []


def check_description(description: str | None) -> list[FieldError]:
    """Problems with a description (None is fine: it clears the description)."""
    if description is not None and not _is_unicode(description):
        return [FieldError("description", "must contain only valid Unicode text")]
    if description is not None and len(description) > DESCRIPTION_MAX:
        return [
            FieldError(
                "description",
                f"must be at most {DESCRIPTION_MAX} characters (got {len(description)})",
            )
        ]
    return []


def encode_definition(definition: Mapping[str, Any]) -> str:
    """The raw JSON text to store; ValueError (with the field message) when it cannot be stored.

    Python's JSON parser accepts NaN, Infinity and lone surrogates (`"\\ud800"`); none of them
    can be stored or sent back as JSON text.
    """
    try:
        text = json.dumps(definition, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        raise ValueError("must not contain NaN or Infinity") from None
    if not _is_unicode(text):
        raise ValueError("must contain only valid Unicode text")
    return text


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_number(value: Any) -> bool:
    """A number the server's float model takes: an integer beyond a float's range is none (it
    would be stored, then fail every read that returns positions as floats)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True


class _DefinitionChecker:
    """Walks one definition once, collecting every problem."""

    def __init__(self, node_types: Mapping[str, NodeTypeSpec]) -> None:
        self.catalogue = node_types
        self.problems: list[DefinitionProblem] = []
        self.node_types: dict[str, str | None] = {}  # node id -> its type when known

    def add(self, rule: str, field: str, message: str, node_id: str | None = None) -> None:
        self.problems.append(DefinitionProblem(rule, field, message, node_id))

    def optional_list(self, parent: Mapping[str, Any], key: str, field: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.add("invalid_type", field, "must be a list")
            return []
        return value

    def optional_object(self, parent: Mapping[str, Any], key: str, field: str) -> Mapping[str, Any]:
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.add("invalid_type", field, "must be an object")
            return {}
        return value

    def required_string(
        self, obj: Mapping[str, Any], key: str, field: str, node_id: str | None = None
    ) -> str | None:
        value = obj.get(key)
        if value is None:
            self.add("missing_field", f"{field}.{key}", "field required", node_id)
            return None
        if not isinstance(value, str):
            self.add("invalid_type", f"{field}.{key}", "must be a string", node_id)
            return None
        return value

    def check_node(self, index: int, node: Any) -> None:
        field = f"definition.graph.nodes[{index}]"
        if not isinstance(node, Mapping):
            self.add("invalid_type", field, "must be an object")
            return
        node_id = self.required_string(node, "id", field)
        if node_id == "":
            self.add("missing_field", f"{field}.id", "must not be empty")
            node_id = None
        node_type = self.required_string(node, "type", field, node_id)
        if node_type is not None and node_type not in self.catalogue:
            known = ", ".join(self.catalogue)
            self.add(
                "unknown_node_type",
                f"{field}.type",
                f"unknown node type {node_type!r} (known: {known})",
                node_id,
            )
            node_type = None
        self.check_position(node.get("position"), f"{field}.position", node_id)
        if node.get("name") is not None and not isinstance(node["name"], str):
            self.add("invalid_type", f"{field}.name", "must be a string", node_id)
        if node.get("config") is not None and not isinstance(node["config"], Mapping):
            self.add("invalid_type", f"{field}.config", "must be an object", node_id)
        version = node.get("config_version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            self.add("invalid_type", f"{field}.config_version", "must be an integer", node_id)
        if node_id is None:
            return
        if node_id in self.node_types:
            self.add("duplicate_node_id", f"{field}.id", f"duplicate node id {node_id!r}", node_id)
        else:
            self.node_types[node_id] = node_type

    def check_position(self, position: Any, field: str, node_id: str | None) -> None:
        if position is None:
            self.add("missing_field", field, "field required", node_id)
        elif not isinstance(position, Mapping):
            self.add("invalid_type", field, "must be an object with numbers x and y", node_id)
        else:
            for axis in ("x", "y"):
                if axis not in position:
                    self.add("missing_field", f"{field}.{axis}", "field required", node_id)
                elif not _is_number(position[axis]):
                    self.add("invalid_type", f"{field}.{axis}", "must be a number", node_id)

    def check_edge(self, index: int, edge: Any, seen: set[str]) -> None:
        field = f"definition.graph.edges[{index}]"
        if not isinstance(edge, Mapping):
            self.add("invalid_type", field, "must be an object")
            return
        values = {key: self.required_string(edge, key, field) for key in _EDGE_FIELDS}
        edge_id = values["id"]
        if edge_id is not None:
            if edge_id in seen:
                self.add("duplicate_edge_id", f"{field}.id", f"duplicate edge id {edge_id!r}")
            seen.add(edge_id)
        label = f"edge {edge_id!r}" if edge_id is not None else f"edge #{index}"
        for end, port_key, direction in (
            ("source", "sourcePort", "out"),
            ("target", "targetPort", "in"),
        ):
            node_id, port = values[end], values[port_key]
            if node_id is None:
                continue
            if node_id not in self.node_types:
                self.add("dangling_edge", f"{field}.{end}", f"{label}: no node with id {node_id!r}")
                continue
            node_type = self.node_types[node_id]
            if port is None or node_type is None:
                continue
            spec = self.catalogue[node_type]
            ports = spec.outputs if direction == "out" else spec.inputs
            if port not in ports:
                kind = "output" if direction == "out" else "input"
                available = ", ".join(ports) or "none"
                self.add(
                    "incompatible_ports",
                    f"{field}.{port_key}",
                    f"{label}: {port!r} is not an {kind} port of {node_type} node {node_id!r} "
                    f"({kind}s: {available})",
                    node_id,
                )

    def check_steps(self, execution: Mapping[str, Any]) -> None:
        steps = self.optional_list(execution, "steps", "definition.execution.steps")
        for index, step in enumerate(steps):
            field = f"definition.execution.steps[{index}]"
            if not isinstance(step, str):
                self.add("invalid_type", field, "must be a node id (string)")
            elif step not in self.node_types:
                self.add("unknown_step", field, f"no node with id {step!r}")
        self.optional_object(execution, "params", "definition.execution.params")


def check_definition(
    definition: Mapping[str, Any], node_types: Mapping[str, NodeTypeSpec] = CURRENT_NODE_TYPES
) -> list[DefinitionProblem]:
    """Every save-time problem of a definition against a catalogue (empty when it may be saved)."""
    checker = _DefinitionChecker(node_types)
    graph = checker.optional_object(definition, "graph", "definition.graph")
    for index, node in enumerate(checker.optional_list(graph, "nodes", "definition.graph.nodes")):
        checker.check_node(index, node)
    seen_edges: set[str] = set()
    for index, edge in enumerate(checker.optional_list(graph, "edges", "definition.graph.edges")):
        checker.check_edge(index, edge, seen_edges)
    checker.check_steps(checker.optional_object(definition, "execution", "definition.execution"))
    return checker.problems
