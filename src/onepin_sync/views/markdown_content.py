"""A new workflow's content as GitHub Markdown, for the body of a create in the Markdown plan.

A reviewer sees what the workflow will do: its name and description, one table row per node
(id, type, label and the config a reviewer cares about: every config value the file sets, short
values inline), each multi-line text (a script, a prompt) as text in a fenced block below the
table, and the edges as `source.port -> target.port`. Node positions are layout, left out.

Every string is masked by the run's `Redactor` and escaped for where it goes: table cells escape
`|`, code spans and fences are longer than any backtick run they hold, so a workflow's content can
never break out of its place and hide or forge the rest of the comment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping

from onepin_sync.core.models import Json, WorkflowSpec
from onepin_sync.core.redact import Redactor

INLINE_MAX = 80  # config values longer than this (as JSON) are cut in the table


def workflow_content(spec: WorkflowSpec, redactor: Redactor) -> list[str]:
    """The lines describing a new workflow (masked), without a trailing blank line."""
    masked = redactor.json(spec.model_dump())
    assert isinstance(masked, Mapping)
    lines = [f"- Name: {code(str(masked['name']))}"]
    if masked.get("description") is not None:
        lines.append(f"- Description: {code(str(masked['description']))}")
    definition = masked.get("definition")
    graph = definition.get("graph") if isinstance(definition, Mapping) else None
    graph = graph if isinstance(graph, Mapping) else {}
    nodes = [n for n in _list(graph.get("nodes")) if isinstance(n, Mapping)]
    edges = [e for e in _list(graph.get("edges")) if isinstance(e, Mapping)]
    texts: list[tuple[str, str, str]] = []  # (node id, config key, multi-line text)
    lines += ["", "| Node | Type | Config |", "|---|---|---|"]
    for node in nodes:
        node_id = str(node.get("id"))
        label = f"{code(node_id)}" + (f" {cell(str(node['name']))}" if node.get("name") else "")
        config = node.get("config")
        settings = []
        for name, value in sorted(config.items()) if isinstance(config, Mapping) else ():
            if isinstance(value, str) and "\n" in value.strip():
                texts.append((node_id, str(name), value))
                settings.append(f"{cell(str(name))}: _(text below)_")
            else:
                settings.append(f"{cell(str(name))}: {code(_inline(value))}")
        lines.append(f"| {label} | {code(str(node.get('type')))} | {'<br>'.join(settings)} |")
    for node_id, name, text in texts:
        lines += ["", f"{code(node_id)} {code(name)}:", *fenced(text, "text")]
    if edges:
        flows = [
            f"{e.get('source')}.{e.get('sourcePort')} -> {e.get('target')}.{e.get('targetPort')}"
            for e in edges
        ]
        lines += ["", f"Edges ({len(edges)}): " + ", ".join(code(f) for f in flows)]
    return lines


def code(text: str) -> str:
    """`text` as an inline code span (safe in a table cell, whatever backticks it holds)."""
    text = text.replace("\n", " ").replace("|", "\\|")
    ticks = "`" * (_longest_run(text, "`") + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def cell(text: str) -> str:
    """Plain text safe in a table cell: no markup, no HTML, no line break, no `|`."""
    text = re.sub(r"([\\`*_{}\[\]<>()#+\-!|~])", r"\\\1", text)
    return text.replace("\n", " ")


def fenced(text: str, info: str) -> Iterator[str]:
    """`text` in a fenced code block whose fence no line of it can close."""
    fence = "`" * max(3, _longest_run(text, "`") + 1)
    yield f"{fence}{info}"
    yield from text.rstrip("\n").splitlines()
    yield fence


def _inline(value: Json) -> str:
    shown = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return shown if len(shown) <= INLINE_MAX else shown[: INLINE_MAX - 1] + "…"


def _list(value: Json) -> list[Json]:
    return list(value) if isinstance(value, list | tuple) else []


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(r) for r in runs), default=0)
