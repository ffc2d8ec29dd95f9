"""Workflow files for the recipe tests, as YAML text a repository would hold, and what the
tests read back from the emulator."""

from __future__ import annotations

import yaml

from onepin_sync.emulator.control import EmulatorWorkspace


def loudness_checked(description: str) -> str:
    """A workflow with `validator_loudness`, a node type only the `next` server knows."""
    document = {
        "name": "Loudness checked",
        "description": description,
        "definition": {
            "graph": {
                "nodes": [
                    {"id": "script", "type": "source_script",
                     "config": {"script_text": "Hello there."}},
                    {"id": "loud", "type": "validator_loudness"},
                    {"id": "export", "type": "sink_preview"},
                ],
                "edges": [
                    {"id": "e1", "source": "script", "sourcePort": "lines", "target": "loud",
                     "targetPort": "lines"},
                    {"id": "e2", "source": "loud", "sourcePort": "pass", "target": "export",
                     "targetPort": "lines"},
                ],
            }
        },
    }  # fmt: skip
    return yaml.safe_dump(document, sort_keys=False)


def with_placeholders(description: str) -> str:
    """A workflow whose description and script take their values from the CI settings."""
    document = {
        "name": "Callback",
        "description": f"{description} Call us on ${{env.SUPPORT_PHONE}}.",
        "definition": {
            "graph": {
                "nodes": [
                    {"id": "script", "type": "source_script",
                     "config": {"script_text": "Voice key ${secret.VOICE_TOKEN}."}},
                    {"id": "export", "type": "sink_preview"},
                ],
                "edges": [{"id": "e1", "source": "script", "sourcePort": "lines",
                           "target": "export", "targetPort": "lines"}],
            }
        },
    }  # fmt: skip
    return yaml.safe_dump(document, sort_keys=False)


GREETING = """\
name: Greeting
definition:
  graph:
    nodes:
      - {id: script, type: source_script, config: {script_text: Hello there.}}
      - {id: export, type: sink_preview}
    edges:
      - {id: e1, source: script, sourcePort: lines, target: export, targetPort: lines}
"""


def edited(text: str, description: str) -> str:
    """The workflow file `text` with another description."""
    document = yaml.safe_load(text)
    return yaml.safe_dump({**document, "description": description}, sort_keys=False)


def writes(workspace: EmulatorWorkspace) -> list[str]:
    """`METHOD path` of every request but the reads the workspace was sent, oldest first."""
    return [f"{r.method} {r.path}" for r in workspace.requests() if r.method != "GET"]


def environments(base_url: str, *names: str) -> str:
    """A project file with one environment per name, each with its own lockfile and key
    variable (`onepin-sync.<name>.lock`, `ONEPIN_<NAME>_API_KEY`), all on `base_url`."""
    lines = ["workflows: workflows", "environments:"]
    for name in names:
        lines += [
            f"  {name}:",
            f"    lockfile: onepin-sync.{name}.lock",
            f"    api_key_env: ONEPIN_{name.upper()}_API_KEY",
            f"    base_url: {base_url}",
        ]
    return "\n".join(lines) + "\n"
