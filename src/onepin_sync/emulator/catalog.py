"""The node catalogue the emulator serves and validates against: types, ports, config schema.

One `NodeTypeSpec` per node type: its ports, the `config_version` read-time migration stamps, and
its config schema (a bare name -> schema map, as `GET /api/v1/nodes` serves it), whose `default`
values are the defaults migration fills in. `CURRENT_NODE_TYPES` is today's Onepin; the profiles
(`profiles.py`) derive other servers from it.

What backs each fact (the Onepin API documentation and the official SDK 0.16.1, or our guess):

    documented   the eleven node type slugs; the port names `lines` on line-carrying ports and
                 `pass` / `fail` on validators; the config keys `voice_map` (generator),
                 `target_languages` (translator), `threshold` and `max_retries` (validators,
                 whose threshold defaults differ per validator) and `format` `wav` | `mp3`
                 (sink_preview); the category names; "Script Input" as source_script's name
    assumed      which ports each type has (a source has no input, the sink no output, every
                 operator `lines` in and out); every default value and range; every
                 `config_version`; the other config keys; the other display names and all
                 descriptions

Pure data: standard library only; imports nothing from onepin_sync outside the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_SCALARS = (str, int, float)  # bool is an int


def frozen_json(value: Any) -> Any:
    """A read-only copy of a JSON value: objects as mapping proxies, arrays as tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: frozen_json(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(frozen_json(v) for v in value)
    return value


def plain_json(value: Any) -> Any:
    """A fresh, mutable JSON copy of a `frozen_json` value (for a response to own)."""
    if value is None or isinstance(value, _SCALARS):  # the common case, checked first
        return value
    if isinstance(value, Mapping):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain_json(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class NodeTypeSpec:
    """One node type: ports, config schema version, and config schema (defaults inside it)."""

    node_type: str
    display_name: str
    category: str  # source | operator | validation | output (| decision, which none uses yet)
    description: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    config_version: int
    config_schema: Mapping[str, Mapping[str, Any]]
    config_defaults: Mapping[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        schema = frozen_json(self.config_schema)
        defaults = {k: s["default"] for k, s in schema.items() if "default" in s}
        object.__setattr__(self, "config_schema", schema)
        object.__setattr__(self, "config_defaults", MappingProxyType(defaults))


def _validator(node_type: str, display_name: str, what: str, threshold: int) -> NodeTypeSpec:
    return NodeTypeSpec(
        node_type=node_type,
        display_name=display_name,
        category="validation",
        description=f"Scores generated audio for {what}; routes each line to pass or fail.",
        inputs=("lines",),
        outputs=("pass", "fail"),
        config_version=2,  # assumed, like every config_version
        config_schema={  # documented keys; their ranges and defaults are assumed
            "threshold": {"type": "integer", "minimum": 0, "maximum": 100, "default": threshold},
            "max_retries": {"type": "integer", "minimum": 0, "maximum": 5, "default": 2},
        },
    )


def _operator(
    node_type: str, display_name: str, description: str, version: int, schema: dict[str, Any]
) -> NodeTypeSpec:
    return NodeTypeSpec(
        node_type=node_type,
        display_name=display_name,
        category="operator",
        description=description,
        inputs=("lines",),
        outputs=("lines",),
        config_version=version,
        config_schema=schema,
    )


_CURRENT: tuple[NodeTypeSpec, ...] = (
    NodeTypeSpec(
        node_type="source_script",
        display_name="Script Input",
        category="source",
        description="The script to voice: inline text or an uploaded file, one line per row.",
        inputs=(),
        outputs=("lines",),
        config_version=3,
        config_schema={  # assumed keys
            "script_text": {"type": "string"},
            "source_language": {"type": "string", "default": "en-us"},
            "upload_id": {"type": "string"},
        },
    ),
    _operator(
        "operator_translator",
        "Translator",
        "Translates each line into the target languages.",
        2,
        {
            "target_languages": {"type": "array", "items": {"type": "string"}},  # documented
            "formality": {"enum": ["default", "formal", "informal"], "default": "default"},
        },
    ),
    _operator(
        "operator_normalizer",
        "Normalizer",
        "Spells out numbers, dates and abbreviations before synthesis.",
        1,
        {
            "expand_numbers": {"type": "boolean", "default": True},
            "expand_abbreviations": {"type": "boolean", "default": True},
        },
    ),
    _operator(
        "operator_generator",
        "Generator",
        "Synthesises speech for each line with the voice assigned to its locale.",
        4,
        {
            "voice_map": {"type": "object"},  # documented: locale -> list of voice assignments
            "speed": {"type": "number", "minimum": 0.5, "maximum": 2.0, "default": 1.0},
        },
    ),
    _operator(
        "operator_phoneme_injector",
        "Phonemizer",
        "Injects phoneme hints for dictionary terms.",
        1,
        {"dictionary_ids": {"type": "array"}},
    ),
    _operator(
        "operator_pronunciation_corrector",
        "Pronunciation Corrector",
        "Rewrites words the generator mispronounced and regenerates them.",
        1,
        {"max_corrections": {"type": "integer", "minimum": 0, "default": 3}},
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
        config_schema={"format": {"enum": ["wav", "mp3"], "default": "wav"}},  # default assumed
    ),
)

CURRENT_NODE_TYPES: Mapping[str, NodeTypeSpec] = MappingProxyType(
    {spec.node_type: spec for spec in _CURRENT}
)
"""Every node type today's Onepin accepts, by its `type` slug, in catalogue order."""
