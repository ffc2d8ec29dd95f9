"""Server profiles: which Onepin the emulator plays (`--profile`, `EmulatorOptions.profile`).

    current   today's Onepin as documented: the catalogue of `catalog.py`; names stored as sent;
              every workflow in a response, from a read or a write, carries the definition
              config-migrated on read (`migrate.py`)
    next      a plausible newer Onepin, to prove a client copes with a server that moves on.
              Everything below is invented; no such release is documented:
              - one more node type, `validator_loudness` (`lines` in, `pass` / `fail` out), in
                `GET /api/v1/nodes` and accepted on save;
              - new config defaults filled on read: `sink_preview.sample_rate_hz` (44100) and
                `operator_generator.stability` (0.5), those types' `config_version` raised to 3
                and 5;
              - every node read back gains `ui: {"collapsed": false}` unless it has a `ui`, and
                every definition read back carries `layout_version: 2`;
              - names are trimmed before they are checked and stored (create, PUT, PATCH);
              - write responses (create, PUT, PATCH, duplicate) carry the definition as stored,
                not migrated; only reads (GET, a listing with `include_definition`) migrate it.

Pure data: standard library only (the CLI lists the profile names without the extra).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from onepin_sync.emulator.catalog import CURRENT_NODE_TYPES, NodeTypeSpec, frozen_json
from onepin_sync.emulator.errors import EmulatorError


@dataclass(frozen=True, slots=True)
class ServerProfile:
    """What one Onepin release does differently: its catalogue and its read and write rules."""

    name: str
    node_types: Mapping[str, NodeTypeSpec]
    node_read_defaults: Mapping[str, Any]  # keys a node read back gains when it lacks them
    definition_read_values: Mapping[str, Any]  # keys every definition read back carries
    trims_names: bool  # names are stripped of surrounding whitespace before checks and storage
    migrates_write_responses: bool  # a write's response carries the migrated definition


CURRENT = ServerProfile(
    name="current",
    node_types=CURRENT_NODE_TYPES,
    node_read_defaults=MappingProxyType({}),
    definition_read_values=MappingProxyType({}),
    trims_names=False,
    migrates_write_responses=True,
)


def _with_config(
    spec: NodeTypeSpec, config_version: int, **schema: Mapping[str, Any]
) -> NodeTypeSpec:
    """`spec` with more config keys and a higher `config_version`."""
    return replace(
        spec,
        config_version=config_version,
        config_schema={**spec.config_schema, **schema},
    )


def _next_node_types() -> Mapping[str, NodeTypeSpec]:
    current = CURRENT_NODE_TYPES
    loudness = NodeTypeSpec(
        node_type="validator_loudness",
        display_name="Loudness",
        category="validation",
        description="Measures each line's integrated loudness; routes it to pass or fail.",
        inputs=("lines",),
        outputs=("pass", "fail"),
        config_version=1,
        config_schema={
            "target_lufs": {"type": "number", "minimum": -40, "maximum": -5, "default": -16},
            "max_retries": {"type": "integer", "minimum": 0, "maximum": 5, "default": 2},
        },
    )
    changed = {
        "sink_preview": _with_config(
            current["sink_preview"],
            3,
            sample_rate_hz={"enum": [22050, 44100, 48000], "default": 44100},
        ),
        "operator_generator": _with_config(
            current["operator_generator"],
            5,
            stability={"type": "number", "minimum": 0, "maximum": 1, "default": 0.5},
        ),
    }
    types = {name: changed.get(name, spec) for name, spec in current.items()}
    types[loudness.node_type] = loudness
    return MappingProxyType(types)


NEXT = ServerProfile(
    name="next",
    node_types=_next_node_types(),
    node_read_defaults=frozen_json({"ui": {"collapsed": False}}),
    definition_read_values=frozen_json({"layout_version": 2}),
    trims_names=True,
    migrates_write_responses=False,
)

PROFILES: Mapping[str, ServerProfile] = MappingProxyType({p.name: p for p in (CURRENT, NEXT)})
PROFILE_NAMES: tuple[str, ...] = tuple(PROFILES)
DEFAULT_PROFILE = CURRENT.name


def profile_named(name: str) -> ServerProfile:
    """The profile called `name`; EmulatorError for an unknown one."""
    profile = PROFILES.get(name)
    if profile is None:
        known = ", ".join(PROFILE_NAMES)
        raise EmulatorError(f"unknown emulator profile {name!r} (known: {known})")
    return profile
