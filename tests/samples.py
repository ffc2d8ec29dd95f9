"""The sample workflows every test builds from: definitions as the API takes them, whole
workflow documents, and workflow files as YAML text. Fresh objects on every call.

    definition()       script -> voice -> preview (speed and an extra QA node adjustable)
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
