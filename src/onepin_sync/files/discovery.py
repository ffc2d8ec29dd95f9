"""Finding the workflow files in the workflows folder, and the key each one defines.

A key is the file's path under the folder without its extension, '/'-separated
(`support/welcome-call` for `support/welcome-call.yaml`). Files ending in `.yaml` or `.yml` are
found recursively, in a stable order; hidden files and folders (a leading `.`) are skipped; other
files are ignored. Refused, with a problem naming the file:

- a key segment outside the portable set (ASCII letters, digits, `-`, `_`, `.`), or longer
  than a file name can be with `.yaml` after it (`core/keys.py`);
- two files for one key, or keys that differ only by case (`a.yaml` and `a.yml`, `A.yaml`);
- a symlink (to a file or a folder) that resolves outside the folder, or that loops back into a
  folder it sits in; a broken symlink to a workflow file.

Pure: the folder walk itself is `reader.find_workflow_files`, which asks this module what a
file's key is and which keys collide.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath

from onepin_sync.core.keys import key_part_problem
from onepin_sync.errors import Problem
from onepin_sync.files.yamlstrict import printable_path

WORKFLOW_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class WorkflowFileRef:
    """One workflow file: its key, the path to open, and the path as messages show it."""

    key: str
    path: Path
    display: str


def _display(folder: Path, parts: tuple[str, ...]) -> str:
    """The path for messages; bytes that are not UTF-8 show as `\\xff`, so it always prints."""
    return printable_path(str(PurePath(folder, *parts)))


def path_problem(folder: Path, parts: tuple[str, ...], message: str) -> Problem:
    return Problem(_display(folder, parts), None, None, message)


def workflow_file(
    folder: Path, parts: tuple[str, ...], path: Path
) -> tuple[WorkflowFileRef | None, Problem | None]:
    """The file at `path`, `parts` under `folder` (built by the walk from its folder's path, so
    the folder's own path is not parsed again for each of its files)."""
    name = parts[-1]
    stem = name[: name.rfind(".")]
    segments = (*parts[:-1], stem)
    for segment in segments:
        message = key_part_problem(segment, printable_path(segment))
        if message is not None:
            return None, path_problem(folder, parts, message)
    return WorkflowFileRef("/".join(segments), path, printable_path(str(path))), None


def key_collisions(found: list[WorkflowFileRef]) -> list[Problem]:
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
