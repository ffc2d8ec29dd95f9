"""Finding the workflow files in the workflows folder, and the key each one defines.

A key is the file's path under the folder without its extension, '/'-separated
(`support/welcome-call` for `support/welcome-call.yaml`). Files ending in `.yaml` or `.yml` are
found recursively, in a stable order; hidden files and folders (a leading `.`) are skipped; other
files are ignored. Refused, with a problem naming the file:

- a key segment outside the portable set (ASCII letters, digits, `-`, `_`, `.`);
- two files for one key, or keys that differ only by case (`a.yaml` and `a.yml`, `A.yaml`);
- a symlink (to a file or a folder) that resolves outside the folder, or that loops back into a
  folder it sits in; a broken symlink to a workflow file.

Reads directory listings only; opening files is the loader's job.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePath

from onepin_sync.errors import Problem
from onepin_sync.files.yamlstrict import printable_path

WORKFLOW_SUFFIXES = (".yaml", ".yml")
KEY_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


@dataclass(frozen=True, slots=True)
class WorkflowFileRef:
    """One workflow file: its key, the path to open, and the path as messages show it."""

    key: str
    path: Path
    display: str


def find_workflow_files(folder: Path) -> tuple[list[WorkflowFileRef], list[Problem]]:
    """Every workflow file under `folder` (an existing directory), sorted by key, and problems."""
    root = os.path.realpath(folder)
    found: list[WorkflowFileRef] = []
    problems: list[Problem] = []
    # (directory to list, its parts under the folder, real paths of it and its enclosing folders)
    pending: list[tuple[Path, tuple[str, ...], frozenset[str]]] = [(folder, (), frozenset([root]))]
    while pending:
        directory, parts, enclosing = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            problems.append(_problem(folder, parts, f"cannot list folder: {error.strerror}"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            entry_parts = (*parts, entry.name)
            is_workflow_name = entry.name.lower().endswith(WORKFLOW_SUFFIXES)
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError as error:
                problems.append(_problem(folder, entry_parts, f"cannot read: {error.strerror}"))
                continue
            if not (is_dir or is_workflow_name):
                continue
            target = os.path.realpath(entry.path) if is_link else None
            if target is not None and os.path.commonpath([root, target]) != root:
                what = "folder" if is_dir else "file"
                message = f"symlink to a {what} outside the workflows folder ({target}); refused"
                problems.append(_problem(folder, entry_parts, message))
            elif is_dir:
                real = target or os.path.realpath(entry.path)
                if real in enclosing:
                    message = "symlink loops back to a folder that contains it; refused"
                    problems.append(_problem(folder, entry_parts, message))
                else:
                    pending.append((Path(entry.path), entry_parts, enclosing | {real}))
            elif is_file:
                ref, problem = _workflow_file(folder, entry_parts)
                if problem is not None:
                    problems.append(problem)
                elif ref is not None:
                    found.append(ref)
            elif is_link:
                problems.append(_problem(folder, entry_parts, "broken symlink"))
            else:
                problems.append(_problem(folder, entry_parts, "not a regular file"))
    found.sort(key=lambda ref: ref.key)
    problems.extend(_collisions(found))
    return found, problems


def _display(folder: Path, parts: tuple[str, ...]) -> str:
    """The path for messages; bytes that are not UTF-8 show as `\\xff`, so it always prints."""
    return printable_path(str(PurePath(folder, *parts)))


def _problem(folder: Path, parts: tuple[str, ...], message: str) -> Problem:
    return Problem(_display(folder, parts), None, None, message)


def _workflow_file(
    folder: Path, parts: tuple[str, ...]
) -> tuple[WorkflowFileRef | None, Problem | None]:
    name = parts[-1]
    stem = name[: name.rfind(".")]
    segments = (*parts[:-1], stem)
    for segment in segments:
        if not KEY_SEGMENT.fullmatch(segment):
            message = (
                f"'{printable_path(segment)}' cannot be part of a workflow key: "
                "use ASCII letters, digits, '-', '_' and '.' (not first)"
            )
            return None, _problem(folder, parts, message)
    display = _display(folder, parts)
    return WorkflowFileRef("/".join(segments), Path(folder, *parts), display), None


def _collisions(found: list[WorkflowFileRef]) -> list[Problem]:
    """Files whose keys are equal, or equal but for case (a clash on macOS and Windows)."""
    by_folded: dict[str, list[WorkflowFileRef]] = {}
    for ref in found:
        by_folded.setdefault(ref.key.casefold(), []).append(ref)
    problems = []
    for refs in by_folded.values():
        first = refs[0]
        for other in refs[1:]:
            if other.key == first.key:
                message = f"defines workflow {other.key!r} again (also {first.display})"
            else:
                message = (
                    f"workflow key {other.key!r} differs from {first.key!r} ({first.display}) "
                    "only by case"
                )
            problems.append(Problem(other.display, None, None, message))
    return problems
