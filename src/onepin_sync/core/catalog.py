"""The Onepin node catalogue: node types, their ports, config schema version and config defaults.

A server's catalogue is what its `GET /api/v1/nodes` serves (`catalogue_from_nodes`); `BUNDLED`
is the snapshot this release ships, used offline and until a server's is known. The checks of
workflow files use it (known node types, edge ports that exist on the type) and so does the
comparable form (the defaults a server's read-time migration fills in).

Port names follow the real catalogue: `lines` for line-carrying ports, `pass` / `fail` on
validators. Pure data; imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class NodeTypeSpec:
    """One node type of the catalogue."""

    node_type: str
    display_name: str
    category: str  # source | operator | validation | output
    description: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    config_version: int
    config_schema: Mapping[str, Any]
    config_defaults: Mapping[str, Any] = field(init=False)  # the schema's `default`s

    def __post_init__(self) -> None:
        defaults = {
            key: entry["default"]
            for key, entry in self.config_schema.items()
            if isinstance(entry, Mapping) and "default" in entry
        }
        object.__setattr__(self, "config_defaults", MappingProxyType(defaults))


def _validator(node_type: str, display_name: str, what: str, threshold: int) -> NodeTypeSpec:
    return NodeTypeSpec(
        node_type=node_type,
        display_name=display_name,
        category="validation",
        description=f"Scores generated audio for {what}; routes each line to pass or fail.",
        inputs=("lines",),
        outputs=("pass", "fail"),
        config_version=2,
        config_schema=MappingProxyType(
            {
                "threshold": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 100,
                    "default": threshold,
                },
                "max_retries": {"type": "integer", "minimum": 0, "maximum": 5, "default": 2},
            }
        ),
    )


_SPECS: tuple[NodeTypeSpec, ...] = (
    NodeTypeSpec(
        node_type="source_script",
        display_name="Script Input",
        category="source",
        description="The script to voice: inline text or an uploaded file, one line per row.",
        inputs=(),
        outputs=("lines",),
        config_version=3,
        config_schema=MappingProxyType(
            {
                "script_text": {"type": "string"},
                "source_language": {"type": "string", "default": "en-us"},
                "upload_id": {"type": "string"},
            }
        ),
    ),
    NodeTypeSpec(
        node_type="operator_translator",
        display_name="Translator",
        category="operator",
        description="Translates each line into the target languages.",
        inputs=("lines",),
        outputs=("lines",),
        config_version=2,
        config_schema=MappingProxyType(
            {
                "target_languages": {"type": "array", "items": {"type": "string"}},
                "formality": {"enum": ["default", "formal", "informal"], "default": "default"},
            }
        ),
    ),
    NodeTypeSpec(
        node_type="operator_normalizer",
        display_name="Normalizer",
        category="operator",
        description="Spells out numbers, dates and abbreviations before synthesis.",
        inputs=("lines",),
        outputs=("lines",),
        config_version=1,
        config_schema=MappingProxyType(
            {
                "expand_numbers": {"type": "boolean", "default": True},
                "expand_abbreviations": {"type": "boolean", "default": True},
            }
        ),
    ),
    NodeTypeSpec(
        node_type="operator_generator",
        display_name="Generator",
        category="operator",
        description="Synthesises speech for each line with the voice assigned to its locale.",
        inputs=("lines",),
        outputs=("lines",),
        config_version=4,
        config_schema=MappingProxyType(
            {
                "voice_map": {"type": "object"},
                "speed": {"type": "number", "minimum": 0.5, "maximum": 2.0, "default": 1.0},
            }
        ),
    ),
    NodeTypeSpec(
        node_type="operator_phoneme_injector",
        display_name="Phonemizer",
        category="operator",
        description="Injects phoneme hints for dictionary terms.",
        inputs=("lines",),
        outputs=("lines",),
        config_version=1,
        config_schema=MappingProxyType({"dictionary_ids": {"type": "array"}}),
    ),
    NodeTypeSpec(
        node_type="operator_pronunciation_corrector",
        display_name="Pronunciation Corrector",
        category="operator",
        description="Rewrites words the generator mispronounced and regenerates them.",
        inputs=("lines",),
        outputs=("lines",),
        config_version=1,
        config_schema=MappingProxyType(
            {"max_corrections": {"type": "integer", "minimum": 0, "default": 3}}
        ),
    ),
    _validator("validator_error_rate", "Word Error Rate", "word accuracy", 85),
    _validator("validator_naturalness", "Naturalness", "naturalness", 80),
    _validator("validator_noise", "Noise", "background noise", 90),
    _validator("validator_pronunciation", "Pronunciation", "pronunciation", 85),
    NodeTypeSpec(
        node_type="sink_preview",
        display_name="Export",
        category="output",
        description="Collects the finished audio for preview and download.",
        inputs=("lines",),
        outputs=(),
        config_version=2,
        config_schema=MappingProxyType({"format": {"enum": ["wav", "mp3"], "default": "wav"}}),
    ),
)

NODE_TYPES: Mapping[str, NodeTypeSpec] = MappingProxyType({s.node_type: s for s in _SPECS})
"""Every node type the API accepts, by its `type` slug."""


@dataclass(frozen=True)
class Catalogue:
    """The node types one Onepin server knows, and where that knowledge comes from."""

    node_types: Mapping[str, NodeTypeSpec]
    source: str  # "the bundled snapshot", or the server and when it was read


BUNDLED = Catalogue(NODE_TYPES, "the bundled snapshot")
"""What this release of onepin-sync knows without asking a server (taken from the Onepin API as
the emulator's `current` profile serves it; a test keeps the two equal)."""


def catalogue_from_nodes(items: Any, source: str) -> Catalogue:
    """The catalogue in a `GET /api/v1/nodes` body's `data` (ValueError when it is not one).

    Config defaults are the `default` of each `config_schema` entry. A type the bundled
    snapshot also has keeps its display metadata from there.
    """
    if not isinstance(items, list):
        raise ValueError("the node catalogue is not a list")
    specs: dict[str, NodeTypeSpec] = {}
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("node_type"), str):
            raise ValueError("a node catalogue entry has no node_type")
        schema = item.get("config_schema") or {}
        schema = schema if isinstance(schema, Mapping) else {}
        node_type = item["node_type"]
        known = NODE_TYPES.get(node_type)
        specs[node_type] = NodeTypeSpec(
            node_type=node_type,
            display_name=str(item.get("display_name") or node_type),
            category=known.category if known else "",
            description=str(item.get("description") or ""),
            inputs=_port_names(item.get("inputs")),
            outputs=_port_names(item.get("outputs")),
            config_version=item["version"] if type(item.get("version")) is int else 1,
            config_schema=MappingProxyType(dict(schema)),
        )
    return Catalogue(MappingProxyType(specs), source)


def _port_names(ports: Any) -> tuple[str, ...]:
    if not isinstance(ports, list):
        return ()
    return tuple(
        p["name"] for p in ports if isinstance(p, Mapping) and isinstance(p.get("name"), str)
    )
