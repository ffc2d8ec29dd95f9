"""The workflows folder -> DesiredState: every file read strictly, every problem reported at once.

For each workflow file (see `discovery`): read it with `yamlstrict` (1 MiB at most, checked before
reading; UTF-8, a BOM is fine), which parses it strictly while `interpolate` fills
`${env.X}` / `${secret.X}`, check it with `filecheck`, then build the definition the API takes:
plain dicts and lists, only the optional fields the file gives (an explicit null counts as
omitted), `graph.nodes` and `graph.edges` always present, and `layout` positions for nodes
without one, and the places in it where a `${secret.X}` went (`DesiredWorkflow.secret_paths`,
named as `core/spec_paths.py` says: places, never values), and the digest of its bytes and of
the values its placeholders took (`fingerprint.content_digest`). If any file has a problem,
nothing is returned: one `WorkflowFileError` lists them all, sorted by file, line and column.

The loader is part of the pure core: the environment is a parameter and the only IO is reading
the workflows folder. Nothing but `OnepinSyncError` subclasses escapes it, whatever the bytes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from onepin_sync.core.catalog import BUNDLED, Catalogue
from onepin_sync.core.fingerprint import content_digest
from onepin_sync.core.ignore import FILE_KEYS, IgnorePatternError, parse_pattern, position_rule
from onepin_sync.core.models import (
    AppliedFile,
    DesiredState,
    DesiredWorkflow,
    Json,
    Lifecycle,
    WorkflowSpec,
)
from onepin_sync.core.settled import AppliedFiles
from onepin_sync.core.spec_paths import find_paths
from onepin_sync.errors import Problem, WorkflowFileError
from onepin_sync.files.discovery import WorkflowFileRef
from onepin_sync.files.filecheck import (
    FieldProblem,
    MessageContext,
    format_problems,
    graph_problems,
    text_problems,
)
from onepin_sync.files.interpolate import Interpolator
from onepin_sync.files.layout import layout_positions
from onepin_sync.files.reader import find_workflow_files, parse_yaml_bytes, read_limited
from onepin_sync.files.sourcemap import SourceMap
from onepin_sync.files.yamlstrict import parse_document, printable_path

TOP_LEVEL = "a mapping with name and definition"


def load_workflows(
    folder: Path,
    *,
    env: Mapping[str, str],
    catalogue: Catalogue = BUNDLED,
    require_values: bool = True,
    applied: AppliedFiles | None = None,
    keys: Collection[str] | None = None,
    skip: Collection[Path] = (),
) -> DesiredState:
    """Every workflow file under `folder`, validated (node types and ports against `catalogue`)
    and interpolated with `env`; with `require_values=False` a reference to an unset variable is
    kept as written instead of being an error (`interpolate.Interpolator`).

    `applied` (`core.settled.AppliedFiles`) keeps each file exactly as last applied as an
    `AppliedFile`, so its spec is not held: from its bytes alone when they and the values of its
    placeholders are what its lockfile entry recorded (such a file is not parsed or checked
    again: `validate` checks every file), else once it is loaded. `keys` reads only the files
    of those keys (to read such files again). `skip` names files that are no workflow files
    (`reader.find_workflow_files`).

    A missing folder is `folder_exists=False` with no workflows (the planner decides whether that
    is an error); an empty one is `folder_exists=True` with none. Raises WorkflowFileError with
    every problem of every file.
    """
    try:
        folder_stat = os.stat(folder)
    except FileNotFoundError:
        return DesiredState(workflows={}, folder_exists=False)
    except OSError as error:
        problem = Problem(printable_path(str(folder)), None, None, _os_message(error))
        raise WorkflowFileError([problem]) from None
    if not stat.S_ISDIR(folder_stat.st_mode):
        raise WorkflowFileError([Problem(printable_path(str(folder)), None, None, "not a folder")])

    refs, problems = find_workflow_files(folder, skip)
    if keys is not None:
        refs = [ref for ref in refs if ref.key in keys]
    interpolator = Interpolator(env, require_values=require_values)
    workflows: dict[str, DesiredWorkflow] = {}
    as_applied: dict[str, AppliedFile] = {}
    for ref in refs:
        data, unreadable = read_limited(ref.path, ref.display)
        if unreadable is not None:
            problems.append(unreadable)
            continue
        file = None
        if applied is not None:
            file = applied.unchanged(ref.key, ref.display, data, interpolator.values)
        if file is not None:
            interpolator.recall(file.variables)
            as_applied[ref.key] = file
            continue
        workflow, file_problems = _load_file(ref, data, interpolator, catalogue)
        problems.extend(file_problems)
        if workflow is None:
            continue
        file = applied.loaded(workflow) if applied is not None else None
        if file is not None:
            as_applied[ref.key] = file
        else:
            workflows[ref.key] = workflow
    if problems:
        problems.sort(key=lambda p: (p.path, p.line or 0, p.column or 0))
        raise WorkflowFileError(problems)
    return DesiredState(
        workflows=workflows,
        applied=as_applied,
        secret_values=frozenset(interpolator.secret_values),
        folder_exists=True,
        references=frozenset(interpolator.references),
    )


def _load_file(
    ref: WorkflowFileRef, data: bytes, interpolator: Interpolator, catalogue: Catalogue
) -> tuple[DesiredWorkflow | None, list[Problem]]:
    uses_before = interpolator.secret_uses
    interpolator.start_file()
    value, text, problems = parse_yaml_bytes(
        data, ref.display, on_string=interpolator, top_level=TOP_LEVEL
    )
    if problems:
        return None, problems
    return _checked(ref, value, text, data, interpolator, catalogue, uses_before)


def load_workflow_text(
    text: str, ref: WorkflowFileRef, *, env: Mapping[str, str], catalogue: Catalogue = BUNDLED
) -> DesiredWorkflow:
    """The workflow a file with `text` would load as, checked exactly as `load_workflows` checks
    files on disk: how a file is proven to load before it is written. Raises WorkflowFileError."""
    interpolator = Interpolator(env)
    value, found = parse_document(text, on_string=interpolator, top_level=TOP_LEVEL)
    problems = [Problem(ref.display, p.line, p.column, p.message) for p in found]
    workflow = None
    if not problems:
        data = text.encode()
        workflow, problems = _checked(ref, value, text, data, interpolator, catalogue, 0)
    if workflow is None:
        raise WorkflowFileError(problems)
    return workflow


def _checked(
    ref: WorkflowFileRef,
    value: Any,
    text: str,
    data: bytes,
    interpolator: Interpolator,
    catalogue: Catalogue,
    uses_before: int,
) -> tuple[DesiredWorkflow | None, list[Problem]]:
    """The parsed file (`text`, of bytes `data`) checked and turned into a workflow, or its
    problems located (`uses_before`: the interpolator's secret uses before it was parsed)."""
    source = SourceMap(text)
    context = MessageContext(interpolator.secret_strings, source.source_text)
    field_problems = (
        format_problems(value, context)
        + text_problems(value, context)
        + graph_problems(value, context, catalogue)
        + _ignore_problems(value)
    )
    if field_problems:
        return None, [_located(ref, source, p) for p in field_problems]
    variables = tuple(sorted(interpolator.used))
    digest = content_digest(data, interpolator.values(variables))
    workflow = _desired_workflow(ref, value, digest, variables)
    if interpolator.secret_uses > uses_before:
        paths = find_paths(workflow.spec.model_dump(), interpolator.secret_strings.__contains__)
        workflow = workflow.model_copy(update={"secret_paths": paths})
    return workflow, []


def _ignore_problems(data: Any) -> list[FieldProblem]:
    """`lifecycle.ignore_changes` patterns that name no field of a workflow file."""
    lifecycle = data.get("lifecycle") if isinstance(data, Mapping) else None
    patterns = lifecycle.get("ignore_changes") if isinstance(lifecycle, Mapping) else None
    problems = []
    for index, pattern in enumerate(patterns if isinstance(patterns, list) else ()):
        if not isinstance(pattern, str):
            continue  # the format check reports it
        try:
            parse_pattern(pattern)
        except IgnorePatternError as exc:
            path = ("lifecycle", "ignore_changes", index)
            problems.append(FieldProblem(path, f"lifecycle.ignore_changes[{index}]: {exc}"))
    return problems


def _os_message(error: OSError) -> str:
    return f"cannot read: {error.strerror or error}"


def _located(ref: WorkflowFileRef, source: SourceMap, problem: FieldProblem) -> Problem:
    line, column = source.locate(problem.path, problem.at)
    return Problem(ref.display, line, column, problem.message, catalogue=problem.catalogue)


def _desired_workflow(
    ref: WorkflowFileRef, data: Mapping[str, Any], digest: str, variables: tuple[str, ...]
) -> DesiredWorkflow:
    lifecycle = data.get("lifecycle") or {}
    spec = WorkflowSpec(
        name=data["name"],
        description=data.get("description"),
        definition=_api_definition(data["definition"]),
    )
    explicit = tuple(lifecycle.get("ignore_changes") or ())
    graph = data["definition"].get("graph") or {}
    unplaced = [n["id"] for n in graph.get("nodes") or () if n.get("position") is None]
    return DesiredWorkflow(
        key=ref.key,
        path=ref.display,
        spec=spec,
        lifecycle=Lifecycle(
            prevent_destroy=lifecycle.get("prevent_destroy") or False,
            destroy=lifecycle.get("destroy") is not False,
            ignore_changes=explicit,
        ),
        ignore_changes=tuple(sorted({*explicit, *map(position_rule, unplaced)})),
        content_digest=digest,
        variables=variables,
    )


def _api_definition(definition: Mapping[str, Any]) -> dict[str, Json]:
    """The definition as the API takes it, from a file that passed every check: extra keys kept
    at every level (see `fileformat`), nulls dropped only from the fields the format names."""
    graph = definition.get("graph") or {}
    nodes = [_present(node, _NODE_FIELDS) for node in graph.get("nodes") or ()]
    edges: list[dict[str, Any]] = graph.get("edges") or []
    unplaced = [node for node in nodes if "position" not in node]
    if unplaced:
        links = [(edge["source"], edge["target"]) for edge in edges]
        positions = layout_positions([node["id"] for node in nodes], links)
        for node, position in zip(nodes, positions, strict=True):
            if "position" not in node:
                node["position"] = position
    api_graph = {**_present(graph, _GRAPH_FIELDS), "nodes": nodes, "edges": edges}
    result: dict[str, Json] = {**_present(definition, _DEFINITION_FIELDS), "graph": api_graph}
    execution = definition.get("execution")
    if execution is not None:
        result["execution"] = _present(execution, _EXECUTION_FIELDS)
    return result


_DEFINITION_FIELDS = FILE_KEYS[("definition",)]
_GRAPH_FIELDS = FILE_KEYS[("definition", "graph")]
_NODE_FIELDS = FILE_KEYS[("definition", "graph", "nodes")]
_EXECUTION_FIELDS = FILE_KEYS[("definition", "execution")]


def _present(entry: Mapping[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    """A copy of a mapping of the file without the format's optional `fields` it set to null."""
    return {key: value for key, value in entry.items() if value is not None or key not in fields}
