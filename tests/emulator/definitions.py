"""Workflow definitions for the emulator tests (fresh objects on every call)."""

from typing import Any


def edge(edge_id: str, source: str, target: str, source_port: str = "lines") -> dict[str, Any]:
    return {
        "id": edge_id,
        "source": source,
        "sourcePort": source_port,
        "target": target,
        "targetPort": "lines",
    }


def pipeline() -> dict[str, Any]:
    """A run-ready graph: script -> translate -> voice -> export, integer positions."""
    return {
        "graph": {
            "nodes": [
                {
                    "id": "script",
                    "type": "source_script",
                    "name": "Script",
                    "position": {"x": 0, "y": 0},
                    "config": {"script_text": "Hello there."},
                },
                {
                    "id": "translate",
                    "type": "operator_translator",
                    "position": {"x": 200, "y": 0},
                    "config": {"target_languages": ["de-de"]},
                },
                {
                    "id": "voice",
                    "type": "operator_generator",
                    "position": {"x": 400, "y": 0},
                    "config": {"voice_map": {"de-de": [{"voice_id": "v1", "provider": "acme"}]}},
                },
                {"id": "export", "type": "sink_preview", "position": {"x": 600.5, "y": 0}},
            ],
            "edges": [
                edge("e1", "script", "translate"),
                edge("e2", "translate", "voice"),
                edge("e3", "voice", "export"),
            ],
        },
        "execution": {"steps": ["script", "translate", "voice", "export"]},
    }


def single_node(node_type: str = "source_script", node_id: str = "n1") -> dict[str, Any]:
    return {
        "graph": {
            "nodes": [{"id": node_id, "type": node_type, "position": {"x": 0, "y": 0}}],
            "edges": [],
        }
    }
