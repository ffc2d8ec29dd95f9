"""The sample workflows every test builds from: definitions as the API takes them, whole
workflow documents, and workflow files as YAML text. Fresh objects on every call.

    definition()       script -> voice -> preview (speed and an extra QA node adjustable)
    pipeline()         a run-ready graph: script -> translate -> voice -> export
    single_node()      a one-node graph of any type
    edge()             one `lines` edge between two nodes
    tiny_workflow()    a whole document: one script feeding one preview
    MINIMAL, PIPELINE  workflow files as YAML text
"""

from __future__ import annotations

from typing import Any


def definition(speed: float = 1.0, extra_node: bool = False) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [
        {
            "id": "script",
            "type": "source_script",
            "position": {"x": 0, "y": 0},
            "config": {"script_text": "Hello!"},
        },
        {
            "id": "gen",
            "type": "operator_generator",
            "position": {"x": 280, "y": 0},
            "config": {
                "voice_map": {"en-us": [{"voice_id": "v1", "provider": "p", "model": "m"}]},
                "speed": speed,
            },
        },
        {"id": "out", "type": "sink_preview", "position": {"x": 560, "y": 0}},
    ]
    edges = [
        {
            "id": "e1",
            "source": "script",
            "sourcePort": "lines",
            "target": "gen",
            "targetPort": "lines",
        },
        {
            "id": "e2",
            "source": "gen",
            "sourcePort": "lines",
            "target": "out",
            "targetPort": "lines",
        },
    ]
    if extra_node:
        nodes.insert(2, {"id": "qa", "type": "validator_noise", "position": {"x": 560, "y": 160}})
        edges.append(
            {
                "id": "e3",
                "source": "gen",
                "sourcePort": "lines",
                "target": "qa",
                "targetPort": "lines",
            }
        )
    return {"graph": {"nodes": nodes, "edges": edges}}


def tiny_workflow(name: str, text: str = "Hello there.") -> dict[str, Any]:
    """A small valid workflow document: one script feeding one preview sink."""
    return {
        "name": name,
        "description": f"{name} (generated for a test)",
        "definition": {
            "graph": {
                "nodes": [
                    {"id": "script", "type": "source_script", "position": {"x": 0, "y": 0},
                     "config": {"script_text": text}},
                    {"id": "out", "type": "sink_preview", "position": {"x": 280, "y": 0}},
                ],
                "edges": [{"id": "e1", "source": "script", "sourcePort": "lines",
                           "target": "out", "targetPort": "lines"}],
            }
        },
    }  # fmt: skip


MINIMAL = "name: Minimal\ndefinition: {}\n"

PIPELINE = """\
name: Pipeline
definition:
  graph:
    nodes:
      - {id: script, type: source_script, position: {x: 0, y: 0}}
      - {id: voice, type: operator_generator, position: {x: 280, y: 0}}
      - {id: export, type: sink_preview, position: {x: 560, y: 0}}
    edges:
      - {id: e1, source: script, sourcePort: lines, target: voice, targetPort: lines}
      - {id: e2, source: voice, sourcePort: lines, target: export, targetPort: lines}
"""


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
