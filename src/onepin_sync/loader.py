"""The workflows folder -> DesiredState: every file read strictly, every problem reported at once.

For each workflow file (see `discovery`): refuse it above `MAX_FILE_BYTES` (checked on disk before
reading), decode UTF-8 (a BOM is fine), parse with `yamlstrict` while `interpolate` fills
`${env.X}` / `${secret.X}`, check it with `filecheck`, then build the definition the API takes:
plain dicts and lists, only the optional fields the file gives (an explicit null counts as
omitted), `graph.nodes` and `graph.edges` always present, and `layout` positions for nodes
without one. If any file has a problem, nothing is returned: one `WorkflowFileError` lists them
all, sorted by file, line and column.

The loader is part of the pure core: the environment is a parameter and the only IO is reading
the workflows folder. Nothing but `OnepinSyncError` subclasses escapes it, whatever the bytes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from onepin_sync.discovery import WorkflowFileRef, find_workflow_files, printable
from onepin_sync.errors import Problem, WorkflowFileError
from onepin_sync.filecheck import FieldProblem, MessageContext, format_problems, graph_problems
from onepin_sync.interpolate import Interpolator
from onepin_sync.layout import layout_positions
from onepin_sync.models import DesiredState, DesiredWorkflow, Json, Lifecycle, WorkflowSpec
from onepin_sync.yamlstrict import SourceMap, decode_yaml_bytes, parse_document

MAX_FILE_BYTES = 1024 * 1024
"""The largest workflow file accepted (1 MiB)."""


def load_workflows(folder: Path, *, env: Mapping[str, str]) -> DesiredState:
    """Every workflow file under `folder`, validated and interpolated with `env`.

    A missing folder is `folder_exists=False` with no workflows (the planner decides whether that
    is an error); an empty one is `folder_exists=True` with none. Raises WorkflowFileError with
    every problem of every file.
    """
    try:
        folder_stat = os.stat(folder)
    except FileNotFoundError:
        return DesiredState(workflows={}, folder_exists=False)
    except OSError as error:
        problem = Problem(printable(str(folder)), None, None, _os_message(error))
        raise WorkflowFileError([problem]) from None
    if not stat.S_ISDIR(folder_stat.st_mode):
        raise WorkflowFileError([Problem(printable(str(folder)), None, None, "not a folder")])

    refs, problems = find_workflow_files(folder)
    interpolator = Interpolator(env)
    workflows: dict[str, DesiredWorkflow] = {}
    for ref in refs:
        workflow, file_problems = _load_file(ref, interpolator)
        problems.extend(file_problems)
        if workflow is not None:
            workflows[ref.key] = workflow
    if problems:
        problems.sort(key=lambda p: (p.path, p.line or 0, p.column or 0))
        raise WorkflowFileError(problems)
    return DesiredState(
        workflows=workflows, secret_values=frozenset(interpolator.secret_values), folder_exists=True
    )


def _load_file(
    ref: WorkflowFileRef, interpolator: Interpolator
) -> tuple[DesiredWorkflow | None, list[Problem]]:
    data, problem = _read_limited(ref)
    if problem is not None:
        return None, [problem]
    text, yaml_problem = decode_yaml_bytes(data)
    if yaml_problem is None:
        value, yaml_problems = parse_document(text, on_string=interpolator)
    else:
        value, yaml_problems = None, [yaml_problem]
    if yaml_problems:
        return None, [Problem(ref.display, p.line, p.column, p.message) for p in yaml_problems]

    source = SourceMap(text)
    context = MessageContext(interpolator.secret_strings, source.source_text)
    field_problems = format_problems(value, context) + graph_problems(value, context)
    if field_problems:
        return None, [_located(ref, source, p) for p in field_problems]
    return _desired_workflow(ref, value), []


def _read_limited(ref: WorkflowFileRef) -> tuple[bytes, Problem | None]:
    """The file's bytes, refusing it before reading when it is too big or not a regular file."""
    try:
        # Non-blocking, so a named pipe swapped in after discovery is refused, not waited on.
        descriptor = os.open(ref.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                return b"", Problem(ref.display, None, None, "not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                return b"", _too_large(ref, info.st_size)
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return b"", Problem(ref.display, None, None, _os_message(error))
    if len(data) > MAX_FILE_BYTES:  # grew since fstat
        return b"", _too_large(ref, len(data))
    return data, None


def _too_large(ref: WorkflowFileRef, size: int) -> Problem:
    message = (
        f"file is {size / 1024 / 1024:.1f} MiB ({size:,} bytes); "
        f"the limit is 1 MiB ({MAX_FILE_BYTES:,} bytes)"
    )
    return Problem(ref.display, None, None, message)


def _os_message(error: OSError) -> str:
    return f"cannot read: {error.strerror or error}"


def _located(ref: WorkflowFileRef, source: SourceMap, problem: FieldProblem) -> Problem:
    line, column = source.locate(problem.path, problem.at)
    return Problem(ref.display, line, column, problem.message)


def _desired_workflow(ref: WorkflowFileRef, data: Mapping[str, Any]) -> DesiredWorkflow:
    lifecycle = data.get("lifecycle") or {}
    spec = WorkflowSpec(
        name=data["name"],
        description=data.get("description"),
        definition=_api_definition(data["definition"]),
    )
    return DesiredWorkflow(
        key=ref.key,
        path=ref.display,
        spec=spec,
        lifecycle=Lifecycle(prevent_destroy=lifecycle.get("prevent_destroy") or False),
    )


def _api_definition(definition: Mapping[str, Any]) -> dict[str, Json]:
    """The definition as the API takes it, from a file that passed every check."""
    graph = definition.get("graph") or {}
    nodes = [_present(node) for node in graph.get("nodes") or ()]
    edges: list[dict[str, Any]] = graph.get("edges") or []
    unplaced = [node for node in nodes if "position" not in node]
    if unplaced:
        links = [(edge["source"], edge["target"]) for edge in edges]
        positions = layout_positions([node["id"] for node in nodes], links)
        for node, position in zip(nodes, positions, strict=True):
            if "position" not in node:
                node["position"] = position
    result: dict[str, Json] = {"graph": {"nodes": nodes, "edges": edges}}
    execution = definition.get("execution")
    if execution is not None:
        result["execution"] = _present(execution)
    return result


def _present(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a mapping of the file without the optional fields it set to null."""
    return {key: value for key, value in entry.items() if value is not None}
