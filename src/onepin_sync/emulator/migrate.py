"""Read-time migration: what the emulator returns instead of the raw definition it stored.

The real API returns definitions "config-migrated on read", so what a client reads back is not
byte-equal to what it wrote. The emulator does the same, deterministically, by the rules of its
profile (`profiles.py`). On every read (GET, a listing with `include_definition=true`, and in the
`current` profile also the response of create, PUT, PATCH and duplicate):

1. every node of a known type gets the profile's current `config_version` for its type;
2. every such node's `config` gains the type's config defaults for keys it lacks (a missing or
   null `config` becomes the defaults);
3. node `position` coordinates are returned as floats (`{"x": 100, "y": 0}` -> `{"x": 100.0,
   "y": 0.0}`), as the real server's float model does;
4. every node gains the profile's extra node keys it lacks, and the definition its extra
   definition keys (`next` only: `ui` on nodes, `layout_version` on the definition).

Rules 1-3 are documented behaviour in kind (the documentation says configs are migrated and
`config_version` may change; the SDK models positions as floats); which defaults and numbers
appear is our assumption. Nothing else changes; keys may come back in a different order. The
stored definition stays raw. Pure: imports only the emulator's catalogue and profiles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onepin_sync.emulator.catalog import plain_json
from onepin_sync.emulator.profiles import CURRENT, ServerProfile


def migrate_definition(
    definition: Mapping[str, Any], profile: ServerProfile = CURRENT
) -> dict[str, Any]:
    """A new definition with the read-time migration applied (the input is not modified)."""
    migrated = dict(definition)
    if profile.definition_read_values:
        migrated.update(plain_json(profile.definition_read_values))
    graph = definition.get("graph")
    nodes = graph.get("nodes") if isinstance(graph, Mapping) else None
    if isinstance(graph, Mapping) and isinstance(nodes, list):
        migrated["graph"] = {**graph, "nodes": [_migrate_node(n, profile) for n in nodes]}
    return migrated


def _migrate_node(node: Any, profile: ServerProfile) -> Any:
    if not isinstance(node, Mapping):
        return node
    migrated = dict(node)
    node_type = node.get("type")
    spec = profile.node_types.get(node_type) if isinstance(node_type, str) else None
    if spec is not None:
        migrated["config_version"] = spec.config_version
        config = node.get("config")
        if config is None:
            config = {}
        if isinstance(config, Mapping):
            defaults = spec.config_defaults.items()
            missing = {k: plain_json(v) for k, v in defaults if k not in config}
            migrated["config"] = {**config, **missing}
    position = node.get("position")
    if isinstance(position, Mapping):
        migrated["position"] = {k: _as_float(k, v) for k, v in position.items()}
    if profile.node_read_defaults:
        for key, value in profile.node_read_defaults.items():
            if key not in migrated:
                migrated[key] = plain_json(value)
    return migrated


def _as_float(key: str, value: Any) -> Any:
    if key in ("x", "y") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
