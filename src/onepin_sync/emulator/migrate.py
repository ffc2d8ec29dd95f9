"""Read-time migration: what the emulator returns instead of the raw definition it stored.

The real API returns definitions "config-migrated on read", so what a client reads back is not
byte-equal to what it wrote. The emulator does the same, deterministically. On every read (GET,
list with `include_definition=true`, and the response of create, PUT, PATCH and duplicate):

1. every node's `config_version` is set to the catalogue's current `config_version` for its type;
2. every node's `config` gains the catalogue's `config_defaults` for keys it lacks (a missing or
   null `config` becomes the defaults);
3. node `position` coordinates are returned as floats (`{"x": 100, "y": 0}` -> `{"x": 100.0,
   "y": 0.0}`), as the real server's float model does.

Nothing else changes; keys may come back in a different order. The stored definition stays raw.
Pure: imports only the emulator's node catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onepin_sync.emulator.catalog import CURRENT_NODE_TYPES as NODE_TYPES


def migrate_definition(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A new definition with the read-time migration applied (the input is not modified)."""
    graph = definition.get("graph")
    if not isinstance(graph, Mapping):
        return dict(definition)
    nodes = graph.get("nodes")
    if not isinstance(nodes, list):
        return dict(definition)
    return {**definition, "graph": {**graph, "nodes": [_migrate_node(n) for n in nodes]}}


def _migrate_node(node: Any) -> Any:
    if not isinstance(node, Mapping):
        return node
    migrated = dict(node)
    node_type = node.get("type")
    spec = NODE_TYPES.get(node_type) if isinstance(node_type, str) else None
    if spec is not None:
        migrated["config_version"] = spec.config_version
        config = node.get("config")
        if config is None:
            migrated["config"] = dict(spec.config_defaults)
        elif isinstance(config, Mapping):
            missing = {k: v for k, v in spec.config_defaults.items() if k not in config}
            migrated["config"] = {**config, **missing}
    position = node.get("position")
    if isinstance(position, Mapping):
        migrated["position"] = {k: _as_float(k, v) for k, v in position.items()}
    return migrated


def _as_float(key: str, value: Any) -> Any:
    if key in ("x", "y") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
