"""The Onepin node catalogue: node types, their ports, config schema version and config defaults.

This is what `GET /api/v1/nodes` serves (the emulator answers from it) and what onepin-sync
checks offline: known node types, edge ports that exist on the node type, and the server
defaults that read-time migration fills in (so the normaliser can fill them on our side too).

Port names follow the real catalogue: `lines` for line-carrying ports, `pass` / `fail` on
validators. Pure data; imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
    config_defaults: Mapping[str, Any]
    config_schema: Mapping[str, Any]


def _validator(node_type: str, display_name: str, what: str, threshold: int) -> NodeTypeSpec:
    return NodeTypeSpec(
        node_type=node_type,
        display_name=display_name,
        category="validation",
        description=f"Scores generated audio for {what}; routes each line to pass or fail.",
        inputs=("lines",),
        outputs=("pass", "fail"),
        config_version=2,
        config_defaults=MappingProxyType({"threshold": threshold, "max_retries": 2}),
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
        config_defaults=MappingProxyType({"source_language": "en-us"}),
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
        config_defaults=MappingProxyType({"formality": "default"}),
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
        config_defaults=MappingProxyType({"expand_numbers": True, "expand_abbreviations": True}),
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
        config_defaults=MappingProxyType({"speed": 1.0}),
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
        config_defaults=MappingProxyType({}),
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
        config_defaults=MappingProxyType({"max_corrections": 3}),
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
        config_defaults=MappingProxyType({"format": "wav"}),
        config_schema=MappingProxyType({"format": {"enum": ["wav", "mp3"], "default": "wav"}}),
    ),
)

NODE_TYPES: Mapping[str, NodeTypeSpec] = MappingProxyType({s.node_type: s for s in _SPECS})
"""Every node type the API accepts, by its `type` slug."""
