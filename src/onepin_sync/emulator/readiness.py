"""`POST /workflows/validate`: the run-start rule set, stricter than save-time validation.

The answer is `WorkflowValidateOut {valid, summary, errors, warnings, blocked}`; `valid` is true
only when `errors` is empty. Errors are every save-time problem (rules from `validation.py`) and,
when the structure is sound, these run-start rules:

    missing_source             no `source_script` node
    missing_sink               no `sink_preview` node
    missing_voice              an `operator_generator` without a non-empty `config.voice_map`
                               whose every locale has at least one voice {voice_id, provider}
    missing_target_languages   an `operator_translator` without non-empty `target_languages`
    invalid_config             a config value breaking the catalogue's config schema (type, enum,
                               minimum, maximum); unknown keys are allowed
    unreachable_node           a node no path of edges reaches from a `source_script` node

Warnings (never affect `valid`): `cycle`, one per cycle of edges. `blocked` (plan entitlements)
is always empty: the emulator has no plans. Pure: imports the catalogue, `validation.py` and the
response schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from onepin_sync.emulator.catalog import NodeTypeSpec
from onepin_sync.emulator.schemas import ValidateOut, ValidateSummary, ValidationIssue
from onepin_sync.emulator.validation import DefinitionProblem, check_definition

_TYPE_CHECKS: Mapping[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, Mapping),
}


def _detail(rule: str, message: str, node: Mapping[str, Any] | None = None) -> ValidationIssue:
    fields: dict[str, Any] = {"rule": rule, "message": message}
    if node is not None:
        fields["node_id"] = node.get("id")
        if isinstance(node.get("name"), str):
            fields["node_name"] = node["name"]
    return ValidationIssue(**fields)


def _structural_detail(problem: DefinitionProblem) -> ValidationIssue:
    fields: dict[str, Any] = {
        "rule": problem.rule,
        "message": f"{problem.field}: {problem.message}",
    }
    if problem.node_id is not None:
        fields["node_id"] = problem.node_id
    return ValidationIssue(**fields)


def _nodes(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    graph = definition.get("graph")
    nodes = graph.get("nodes") if isinstance(graph, Mapping) else None
    return [n for n in nodes if isinstance(n, Mapping)] if isinstance(nodes, list) else []


def _edges(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    graph = definition.get("graph")
    edges = graph.get("edges") if isinstance(graph, Mapping) else None
    return [e for e in edges if isinstance(e, Mapping)] if isinstance(edges, list) else []


def summarize(definition: Mapping[str, Any]) -> ValidateSummary:
    """A presentation summary; works on any definition, valid or not."""
    nodes, edges = _nodes(definition), _edges(definition)
    types: dict[str, int] = {}
    languages: set[str] = set()
    locales: set[str] = set()
    for node in nodes:
        node_type = node.get("type")
        if isinstance(node_type, str):
            types[node_type] = types.get(node_type, 0) + 1
        config = node.get("config")
        if not isinstance(config, Mapping):
            continue
        targets = config.get("target_languages")
        if node_type == "operator_translator" and isinstance(targets, list):
            languages.update(t for t in targets if isinstance(t, str))
        voice_map = config.get("voice_map")
        if node_type == "operator_generator" and isinstance(voice_map, Mapping):
            locales.update(str(k) for k in voice_map)
    return ValidateSummary(
        node_count=len(nodes),
        edge_count=len(edges),
        node_types=dict(sorted(types.items())),
        source_node_ids=[n.get("id") for n in nodes if n.get("type") == "source_script"],
        sink_node_ids=[n.get("id") for n in nodes if n.get("type") == "sink_preview"],
        target_languages=sorted(languages),
        voice_locales=sorted(locales),
    )


def _voice_problem(config: Mapping[str, Any]) -> str | None:
    voice_map = config.get("voice_map")
    if not isinstance(voice_map, Mapping) or not voice_map:
        return "the generator has no voice_map: assign a voice to at least one locale"
    for locale, voices in voice_map.items():
        if not isinstance(voices, list) or not voices:
            return f"locale {locale!r} has no voice assigned"
        for voice in voices:
            if not isinstance(voice, Mapping) or not all(
                isinstance(voice.get(k), str) and voice.get(k) for k in ("voice_id", "provider")
            ):
                return f"a voice of locale {locale!r} lacks voice_id or provider"
    return None


def _config_problems(node: Mapping[str, Any], spec: NodeTypeSpec) -> list[ValidationIssue]:
    config = node.get("config")
    if not isinstance(config, Mapping):
        return []
    problems = []
    for key, value in config.items():
        schema = spec.config_schema.get(key)
        if schema is None or value is None:
            continue
        expected = schema.get("type")
        if isinstance(expected, str) and not _TYPE_CHECKS[expected](value):
            message = f"config.{key} must be of type {expected}"
        elif "enum" in schema and value not in schema["enum"]:
            message = f"config.{key} must be one of {', '.join(map(str, schema['enum']))}"
        elif not _TYPE_CHECKS["number"](value):
            continue
        elif "minimum" in schema and value < schema["minimum"]:
            message = f"config.{key} must be >= {schema['minimum']}"
        elif "maximum" in schema and value > schema["maximum"]:
            message = f"config.{key} must be <= {schema['maximum']}"
        else:
            continue
        problems.append(_detail("invalid_config", message, node))
    return problems


def _successors(
    nodes: list[Mapping[str, Any]], edges: list[Mapping[str, Any]]
) -> dict[str, list[str]]:
    following: dict[str, list[str]] = {str(n["id"]): [] for n in nodes}
    for edge in edges:
        following[str(edge["source"])].append(str(edge["target"]))
    return following


def _cycles(following: Mapping[str, list[str]]) -> list[list[str]]:
    """One node list per back edge found by a depth-first search (duplicates removed)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for root in following:
        if root in state:
            continue
        path: list[str] = [root]
        stack = [iter(following[root])]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                cycle = path[path.index(nxt) :]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    found.append(cycle)
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(following[nxt]))
    return found


def _node_problems(node: Mapping[str, Any], spec: NodeTypeSpec) -> list[ValidationIssue]:
    """The run-start problems of one node's own configuration."""
    raw_config = node.get("config")
    config: Mapping[str, Any] = raw_config if isinstance(raw_config, Mapping) else {}
    problems: list[ValidationIssue] = []
    if node["type"] == "operator_generator":
        voice_problem = _voice_problem(config)
        if voice_problem is not None:
            problems.append(_detail("missing_voice", voice_problem, node))
    if node["type"] == "operator_translator":
        targets = config.get("target_languages")
        if not isinstance(targets, list) or not any(isinstance(t, str) and t for t in targets):
            message = "the translator has no target_languages"
            problems.append(_detail("missing_target_languages", message, node))
    return problems + _config_problems(node, spec)


def _unreachable(
    nodes: list[Mapping[str, Any]], following: Mapping[str, list[str]]
) -> list[ValidationIssue]:
    """One problem per node no path of edges reaches from a source (none without a source)."""
    sources = [str(n["id"]) for n in nodes if n["type"] == "source_script"]
    reached, frontier = set(sources), list(sources)
    while frontier:
        for nxt in following[frontier.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    message = "no path from a Script Input node reaches this node"
    return [
        _detail("unreachable_node", message, node)
        for node in nodes
        if sources and str(node["id"]) not in reached
    ]


def _run_start_problems(
    nodes: list[Mapping[str, Any]],
    edges: list[Mapping[str, Any]],
    node_types: Mapping[str, NodeTypeSpec],
) -> tuple[list[ValidationIssue], list[ValidationIssue]]:
    errors: list[ValidationIssue] = []
    types = [n["type"] for n in nodes]
    if "source_script" not in types:
        errors.append(_detail("missing_source", "add a Script Input (source_script) node"))
    if "sink_preview" not in types:
        errors.append(_detail("missing_sink", "add an Export (sink_preview) node"))
    for node in nodes:
        errors += _node_problems(node, node_types[str(node["type"])])
    following = _successors(nodes, edges)
    errors += _unreachable(nodes, following)
    by_id = {str(n["id"]): n for n in nodes}
    warnings = [
        _detail("cycle", "the edges form a cycle: " + " -> ".join([*c, c[0]]), by_id[c[0]])
        for c in _cycles(following)
    ]
    return errors, warnings


def assess_definition(
    definition: Mapping[str, Any], node_types: Mapping[str, NodeTypeSpec]
) -> ValidateOut:
    """The `WorkflowValidateOut` for a definition against a catalogue (nothing is stored)."""
    structural = check_definition(definition, node_types)
    errors = [_structural_detail(p) for p in structural]
    warnings: list[ValidationIssue] = []
    if not structural:
        nodes, edges = _nodes(definition), _edges(definition)
        run_errors, warnings = _run_start_problems(nodes, edges, node_types)
        errors += run_errors
    return ValidateOut(
        valid=not errors,
        summary=summarize(definition),
        errors=errors,
        warnings=warnings,
        blocked=[],
    )
