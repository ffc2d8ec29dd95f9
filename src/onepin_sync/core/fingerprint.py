"""Canonical form and fingerprints of workflow specs: the only place specs are hashed.

- `desired_fingerprint(spec, salt, ignore)`: the spec a file asks for, as applied.
- `remote_fingerprint(spec, salt, ignore)`: the spec a workspace holds, but for the server's own
  bookkeeping (`config_version`); it depends on no catalogue.
- `content_digest(data, values)` and `file_fingerprint(digest, salt)`: a workflow file's bytes and
  the values its placeholders took, recorded as `file_hash` next to the `applied_hash` they
  loaded as, so the next run knows a file unchanged without parsing it (`core/settled.py`).
- `listed_digest(...)` and `listed_fingerprint(digest, salt)`: a listed workflow's spec as the
  listing's body spells it, recorded as `listed_hash` next to the `remote_hash` it had, so the
  next run knows it unchanged without taking its canonical form (`core/settled.py`).
- `comparable(spec, comparison)`: the form both sides take before a field diff: server-managed
  node fields dropped, the config defaults of the server's catalogue (else the bundled one)
  filled.

Fingerprints are SHA-256 over canonical JSON (sorted keys, compact, type-strict: `1`, `1.0` and
`true` differ) of exactly the `SPEC_FIELDS`, salted per lockfile lineage so no hash can be
looked up in a precomputed table or compared with another lockfile's. The salt is in the lockfile,
so it does not keep a reader of both the lockfile and the files from testing guesses of a
low-entropy secret's value (the README says so): hashes cover secret values on purpose, so that a
rotated secret is a change. Change detection is three-
way over fingerprints (`classify.py`), so an unknown server default never causes a perpetual diff.
`ignore` carries the paths a file excludes from both fingerprints (`ignore.py`): a lockfile entry
records the rules its hashes were taken under, and only hashes taken under the same rules are
compared.

Pure: no IO, clock or environment.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from onepin_sync.core.catalog import BUNDLED, Catalogue
from onepin_sync.core.ignore import without_ignored
from onepin_sync.core.models import SPEC_FIELDS, FrozenModel, Json, WorkflowSpec


class IgnoreRules(FrozenModel):
    """Paths excluded from fingerprints and diffs: a workflow's `ignore_changes` patterns
    (`ignore.py`), checked when the file was loaded."""

    paths: tuple[str, ...] = ()

    @classmethod
    def of(cls, patterns: tuple[str, ...]) -> IgnoreRules:
        return cls(paths=patterns) if patterns else NO_IGNORES


@dataclass(frozen=True)
class Comparison:
    """How two specs are brought to one comparable form: the server's catalogue (its config
    defaults are filled on both sides) and the ignore rules."""

    catalogue: Catalogue = BUNDLED
    ignore: IgnoreRules = field(default_factory=IgnoreRules)


NO_IGNORES = IgnoreRules()
DEFAULT_COMPARISON = Comparison()


def canonical_json(value: Json) -> str:
    """Deterministic compact JSON; raises ValueError on NaN/Infinity, which JSON cannot carry."""
    return _CANONICAL.encode(value)


# No check for reference cycles (decoded JSON has none): the same text, 15% sooner.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
)


def desired_fingerprint(spec: WorkflowSpec, salt: str, ignore: IgnoreRules = NO_IGNORES) -> str:
    """The fingerprint recorded as `applied_hash` when `spec` is applied."""
    return _fingerprint(spec, salt, ignore)


def remote_fingerprint(spec: WorkflowSpec, salt: str, ignore: IgnoreRules = NO_IGNORES) -> str:
    """The fingerprint recorded as `remote_hash` for a workflow read back from the API.

    Over the spec as the server returned it, but for `config_version` (the server's own
    bookkeeping): it depends on no catalogue, so learning a server's defaults, or failing to,
    never makes a workflow look changed.
    """
    return _fingerprint(_without_server_bookkeeping(spec), salt, ignore)


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


CONTENT_DIGEST_VERSION = 1
"""Part of every `content_digest`: bump it when the loader turns the same bytes into another
spec (the layout of unplaced nodes, which nulls are dropped, ...), so no file is kept as applied
on the strength of a digest an older loader recorded."""


def content_digest(data: bytes, values: Mapping[str, str | None]) -> str:
    """What a workflow file's spec depends on: its bytes (a UTF-8 byte order mark and CRLF line
    breaks, which YAML reads as nothing and LF, left out, so a checkout with other line endings
    digests the same) and `values`, by reference (`env.NAME`, `secret.NAME`), the values its
    placeholders took (None: unset). Unsalted, so held in memory only; `file_fingerprint` is the
    form recorded."""
    body = data.removeprefix(b"\xef\xbb\xbf")
    if b"\r\n" in body:  # looked for first: most files have none, and copying them costs
        body = body.replace(b"\r\n", b"\n")
    head = _NO_VALUES_HEAD if not values else _content_head(values)
    digest = hashlib.sha256(head)
    digest.update(body)
    return digest.hexdigest()


def _content_head(values: Mapping[str, str | None]) -> bytes:
    return canonical_json([CONTENT_DIGEST_VERSION, sorted(values.items())]).encode() + b"\0"


_NO_VALUES_HEAD = _content_head({})


def file_fingerprint(digest: str, salt: str) -> str:
    """The `file_hash` a lockfile records for a file of `content_digest` `digest`: salted like
    every stored hash, since the values a file's placeholders took include its secrets."""
    return _digest(salt, digest)


def listed_digest(name: Json, description: Json, definition_text: str) -> str:
    """A listed workflow's spec as served: its name, its description and the text of its
    definition in the listing's body, digested; `listed_fingerprint` is the form recorded. Equal
    digests mean equal specs, so equal `remote_fingerprint`s (the converse need not hold: another
    spelling of the same definition digests otherwise)."""
    # Whatever a body holds, Infinity and a lone surrogate (`"\ud800"`) included.
    head = _LISTED_HEAD.encode([name, description]).encode("utf-8", "surrogatepass")
    return hashlib.sha256(head + b"\0" + definition_text.encode()).hexdigest()


_LISTED_HEAD = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def listed_fingerprint(digest: str, salt: str) -> str:
    """The `listed_hash` a lockfile records for a listed workflow of `listed_digest` `digest`
    (salted: the definition may hold secrets)."""
    return _digest(salt, "listed\0" + digest)


def listed_hash(digest: str | None, salt: str) -> str | None:
    """`listed_fingerprint` of a digest that may not be known."""
    return None if digest is None else listed_fingerprint(digest, salt)


def comparable(spec: WorkflowSpec, comparison: Comparison | None = None) -> WorkflowSpec:
    """`spec` in the form both sides take before they are compared (see module docstring)."""
    catalogue = (comparison or DEFAULT_COMPARISON).catalogue
    return spec.model_copy(update={"definition": comparable_definition(spec.definition, catalogue)})


def comparable_definition(
    definition: Mapping[str, Json], catalogue: Catalogue = BUNDLED
) -> dict[str, Json]:
    """A new definition with server-managed node fields dropped and the catalogue's config
    defaults filled."""
    return _map_nodes(definition, lambda node: _comparable_node(node, catalogue))


def _without_server_bookkeeping(spec: WorkflowSpec) -> WorkflowSpec:
    definition = _map_nodes(spec.definition, _without_config_version)
    return spec.model_copy(update={"definition": definition})


def _map_nodes(definition: Mapping[str, Json], change: Callable[[Json], Json]) -> dict[str, Json]:
    graph = definition.get("graph")
    if not isinstance(graph, Mapping):
        return dict(definition)
    nodes = graph.get("nodes")
    if not isinstance(nodes, list | tuple):
        return dict(definition)
    return {**definition, "graph": {**graph, "nodes": [change(n) for n in nodes]}}


def _without_config_version(node: Json) -> Json:
    if not isinstance(node, Mapping) or "config_version" not in node:
        return node
    return {k: v for k, v in node.items() if k != "config_version"}


def _fingerprint(spec: WorkflowSpec, salt: str, ignore: IgnoreRules) -> str:
    value = {field: getattr(spec, field) for field in SPEC_FIELDS}
    if ignore.paths:
        value = without_ignored(value, ignore.paths)
    return _digest(salt, canonical_json(value))


def _digest(salt: str, payload: str) -> str:
    return "sha256:" + hashlib.sha256(salt.encode() + b"\0" + payload.encode()).hexdigest()


def _comparable_node(node: Json, catalogue: Catalogue) -> Json:
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {k: v for k, v in node.items() if k != "config_version"}
    spec = catalogue.node_types.get(str(node.get("type")))
    config = node.get("config")
    if spec is not None and (config is None or isinstance(config, Mapping)):
        out["config"] = {**spec.config_defaults, **(config or {})}
    return out
