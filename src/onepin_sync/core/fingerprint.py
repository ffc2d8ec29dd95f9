"""Canonical form and fingerprints of workflow specs: the only place specs are hashed.

- `desired_fingerprint(spec, salt, ignore)`: the spec a file asks for, as applied.
- `remote_fingerprint(spec, salt, ignore)`: the spec a workspace holds, brought to comparable form
  first (`comparable`), so a server-managed field (`config_version`) or a known server default
  never counts as a change.
- `comparable(spec, ignore)`: the form both sides take before a field diff or a match: server-
  managed node fields dropped, the catalogue's known config defaults filled.

Fingerprints are SHA-256 over canonical JSON (sorted keys, compact, type-strict: `1`, `1.0` and
`true` differ) of exactly the `SPEC_FIELDS`, salted per lockfile lineage so a low-entropy secret
inside a definition cannot be recovered from the committed lockfile. Change detection is three-
way over fingerprints (`classify.py`), so an unknown server default never causes a perpetual diff.
`ignore` carries the paths a file excludes from both fingerprints (empty until ignore rules land).

Pure: no IO, clock or environment.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from onepin_sync.core.catalog import NODE_TYPES
from onepin_sync.core.models import SPEC_FIELDS, FrozenModel, Json, WorkflowSpec


class IgnoreRules(FrozenModel):
    """Paths excluded from fingerprints and diffs (none yet: the argument every caller passes)."""

    paths: tuple[str, ...] = ()


NO_IGNORES = IgnoreRules()


def canonical_json(value: Json) -> str:
    """Deterministic compact JSON; raises ValueError on NaN/Infinity, which JSON cannot carry."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def desired_fingerprint(spec: WorkflowSpec, salt: str, ignore: IgnoreRules = NO_IGNORES) -> str:
    """The fingerprint recorded as `applied_hash` when `spec` is applied."""
    return _fingerprint(spec, salt)


def remote_fingerprint(spec: WorkflowSpec, salt: str, ignore: IgnoreRules = NO_IGNORES) -> str:
    """The fingerprint recorded as `remote_hash` for a workflow read back from the API."""
    return _fingerprint(comparable(spec, ignore), salt)


def name_fingerprint(name: str, salt: str) -> str:
    """A salted fingerprint of a workflow name, to match an unanswered create by its name."""
    return _digest(salt, canonical_json(name))


def structure_fingerprint(definition: Mapping[str, Json], salt: str) -> str:
    """A salted fingerprint of a definition's shape: node ids and types, and edges.

    What a server never rewrites (unlike configs, defaults, positions and added keys), so an
    unanswered create can be recognised on a server that migrates what it stores.
    """
    graph = definition.get("graph")
    graph = graph if isinstance(graph, Mapping) else {}
    nodes = sorted(
        (str(n.get("id")), str(n.get("type")))
        for n in graph.get("nodes") or ()
        if isinstance(n, Mapping)
    )
    edges = sorted(
        tuple(str(e.get(k)) for k in ("id", "source", "sourcePort", "target", "targetPort"))
        for e in graph.get("edges") or ()
        if isinstance(e, Mapping)
    )
    return _digest(salt, canonical_json({"nodes": nodes, "edges": edges}))


def comparable(spec: WorkflowSpec, ignore: IgnoreRules = NO_IGNORES) -> WorkflowSpec:
    """`spec` in the form both sides take before they are compared (see module docstring)."""
    return spec.model_copy(update={"definition": comparable_definition(spec.definition)})


def comparable_definition(definition: Mapping[str, Json]) -> dict[str, Json]:
    """A new definition with server-managed node fields dropped and known config defaults filled."""
    graph = definition.get("graph")
    if not isinstance(graph, Mapping):
        return dict(definition)
    nodes = graph.get("nodes")
    if not isinstance(nodes, list | tuple):
        return dict(definition)
    return {**definition, "graph": {**graph, "nodes": [_comparable_node(n) for n in nodes]}}


def _fingerprint(spec: WorkflowSpec, salt: str) -> str:
    return _digest(salt, canonical_json({field: getattr(spec, field) for field in SPEC_FIELDS}))


def _digest(salt: str, payload: str) -> str:
    return "sha256:" + hashlib.sha256(salt.encode() + b"\0" + payload.encode()).hexdigest()


def _comparable_node(node: Json) -> Json:
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {k: v for k, v in node.items() if k != "config_version"}
    spec = NODE_TYPES.get(str(node.get("type")))
    config = node.get("config")
    if spec is not None and (config is None or isinstance(config, Mapping)):
        out["config"] = {**spec.config_defaults, **(config or {})}
    return out
