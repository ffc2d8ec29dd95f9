"""Canonical form and hashing of workflow specs.

Two jobs:
- `spec_hash`: SHA-256 over canonical JSON (sorted keys, compact, type-strict: `1`, `1.0` and
  `true` differ), salted per lockfile lineage so a low-entropy secret inside a definition cannot be
  recovered from the committed lockfile.
- `normalize_spec`: bring a desired or a remote spec to one comparable form before a field diff:
  drop what the server manages (`config_version`), fill the server's known config defaults from
  the node catalogue. Normalisation is for display and patch-field selection only; change
  detection is three-way over hashes (see `plan.py`), so an unknown server default never causes a
  perpetual diff.

Pure: no IO, clock or environment.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from onepin_sync.core.catalog import NODE_TYPES
from onepin_sync.core.models import Json, WorkflowSpec


def canonical_json(value: Json) -> str:
    """Deterministic compact JSON; raises ValueError on NaN/Infinity, which JSON cannot carry."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def spec_hash(spec: WorkflowSpec, salt: str) -> str:
    """Salted SHA-256 of the canonical spec, as `sha256:<hex>`."""
    payload = canonical_json(
        {"name": spec.name, "description": spec.description, "definition": spec.definition}
    )
    digest = hashlib.sha256(salt.encode() + b"\0" + payload.encode()).hexdigest()
    return f"sha256:{digest}"


def normalize_definition(definition: Mapping[str, Json]) -> dict[str, Json]:
    """A new definition with server-managed node fields dropped and known config defaults filled."""
    graph = definition.get("graph")
    if not isinstance(graph, Mapping):
        return dict(definition)
    nodes = graph.get("nodes")
    if not isinstance(nodes, list | tuple):
        return dict(definition)
    return {**definition, "graph": {**graph, "nodes": [_normalize_node(n) for n in nodes]}}


def _normalize_node(node: Json) -> Json:
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {k: v for k, v in node.items() if k != "config_version"}
    spec = NODE_TYPES.get(str(node.get("type")))
    config = node.get("config")
    if spec is not None and (config is None or isinstance(config, Mapping)):
        out["config"] = {**spec.config_defaults, **(config or {})}
    return out


def normalize_spec(spec: WorkflowSpec) -> WorkflowSpec:
    """The spec in comparable form (see module docstring)."""
    return spec.model_copy(update={"definition": normalize_definition(spec.definition)})
