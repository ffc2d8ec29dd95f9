"""The one module that reads workflow files and folders from disk.

- `find_workflow_files`: walk the workflows folder (directory listings only), with the keys and
  refusals of `discovery`;
- `read_yaml_file`: one file's bytes (`read_limited`: size limit checked before reading, a named
  pipe refused, never waited on), decoded and parsed strictly by `yamlstrict`
  (`parse_yaml_bytes`);
- `read_text`: a small text file (the credentials file, a file's leading comments);
- `read_packaged`: a text file shipped inside the package (`init`'s templates).

Everything it returns is plain values and located problems; interpretation is left to the pure
modules of this package.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from importlib import resources
from pathlib import Path
from typing import Any

from onepin_sync.errors import Problem
from onepin_sync.files.discovery import (
    WORKFLOW_SUFFIXES,
    WorkflowFileRef,
    key_collisions,
    path_problem,
    workflow_file,
)
from onepin_sync.files.yamlstrict import (
    StringHook,
    YamlProblem,
    decode_yaml_bytes,
    parse_document,
)

MAX_FILE_BYTES = 1024 * 1024
"""The largest YAML file read (1 MiB)."""


def find_workflow_files(
    folder: Path, skip: Collection[Path] = ()
) -> tuple[list[WorkflowFileRef], list[Problem]]:
    """Every workflow file under `folder` (an existing directory), sorted by key, and problems.

    `skip` names files that are never workflow files wherever they are: the project file and
    the lockfile (`ProjectPaths.own_files`), found here when the workflows folder is the
    project's own (`workflows: .`).
    """
    root = os.path.realpath(folder)
    skipped = _parts_under(folder, root, skip)
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
            problems.append(path_problem(folder, parts, f"cannot list folder: {error.strerror}"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            entry_parts = (*parts, entry.name)
            if skipped and entry_parts in skipped:
                continue
            is_workflow_name = entry.name.lower().endswith(WORKFLOW_SUFFIXES)
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError as error:
                problems.append(path_problem(folder, entry_parts, f"cannot read: {error.strerror}"))
                continue
            if not (is_dir or is_workflow_name):
                continue
            target = os.path.realpath(entry.path) if is_link else None
            if target is not None and os.path.commonpath([root, target]) != root:
                what = "folder" if is_dir else "file"
                message = f"symlink to a {what} outside the workflows folder ({target}); refused"
                problems.append(path_problem(folder, entry_parts, message))
            elif is_dir:
                real = target or os.path.realpath(entry.path)
                if real in enclosing:
                    message = "symlink loops back to a folder that contains it; refused"
                    problems.append(path_problem(folder, entry_parts, message))
                else:
                    pending.append((directory / entry.name, entry_parts, enclosing | {real}))
            elif is_file:
                ref, problem = workflow_file(folder, entry_parts, directory / entry.name)
                if problem is not None:
                    problems.append(problem)
                elif ref is not None:
                    found.append(ref)
            elif is_link:
                problems.append(path_problem(folder, entry_parts, "broken symlink"))
            else:
                problems.append(path_problem(folder, entry_parts, "not a regular file"))
    found.sort(key=lambda ref: ref.key)
    problems.extend(key_collisions(found))
    return found, problems


def _parts_under(folder: Path, root: str, paths: Collection[Path]) -> frozenset[tuple[str, ...]]:
    """The parts under `folder` (whose real path is `root`) of each of `paths` inside it, by its
    path as given and by its real path."""
    found = set()
    for path in paths:
        for base, target in (
            (os.path.abspath(folder), os.path.abspath(path)),
            (root, os.path.realpath(path)),
        ):
            if target != base and os.path.commonpath([base, target]) == base:
                found.add(tuple(Path(os.path.relpath(target, base)).parts))
    return frozenset(found)


def read_yaml_file(
    path: Path,
    display: str,
    *,
    on_string: StringHook | None = None,
    top_level: str = "a mapping",
) -> tuple[Any, str, list[Problem]]:
    """Read, decode and parse one file: (value, text, problems located at `display`:line:col).

    `top_level` names what the file must hold, for the message when it holds something else.
    The value is None whenever there are problems.
    """
    data, problem = read_limited(path, display)
    if problem is not None:
        return None, "", [problem]
    return parse_yaml_bytes(data, display, on_string=on_string, top_level=top_level)


def parse_yaml_bytes(
    data: bytes,
    display: str,
    *,
    on_string: StringHook | None = None,
    top_level: str = "a mapping",
) -> tuple[Any, str, list[Problem]]:
    """Decode and parse a file's bytes, as `read_yaml_file` does."""
    text, yaml_problem = decode_yaml_bytes(data)
    if yaml_problem is None:
        value, found = parse_document(text, on_string=on_string, top_level=top_level)
    else:
        value, found = None, [yaml_problem]
    return value, text, [Problem(display, p.line, p.column, p.message) for p in found]


def read_limited(path: Path, display: str) -> tuple[bytes, Problem | None]:
    """A file's bytes, refusing it before reading when it is too big or not a regular file."""
    try:
        # Non-blocking, so a named pipe swapped in after discovery is refused, not waited on.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                return b"", Problem(display, None, None, "not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                return b"", _too_large(display, info.st_size)
            data = _read_to_end(descriptor, info.st_size + 1, MAX_FILE_BYTES + 1)
        finally:
            os.close(descriptor)
    except OSError as error:
        return b"", Problem(display, None, None, f"cannot read: {error.strerror or error}")
    if len(data) > MAX_FILE_BYTES:  # grew since fstat
        return b"", _too_large(display, len(data))
    return data, None


def _read_to_end(descriptor: int, expected: int, limit: int) -> bytes:
    """Up to `limit` bytes from `descriptor`, to its end; `expected` (its size and one, which
    finds the end in one read unless it grew) is asked for first. No buffered file object, and
    no buffer of `limit` bytes for a small file: a plan reads thousands of them."""
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(descriptor, min(expected, left))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(display: str, size: int) -> Problem:
    message = (
        f"file is {size / 1024 / 1024:.1f} MiB ({size:,} bytes); "
        f"the limit is 1 MiB ({MAX_FILE_BYTES:,} bytes)"
    )
    return Problem(display, None, None, message)


def read_text(path: Path) -> str:
    """A small UTF-8 text file whole (a workflow file's comments, the credentials file)."""
    return path.read_text(encoding="utf-8")


def read_workflow_text(path: Path) -> tuple[str, YamlProblem | None]:
    """A workflow file's text as the loader decodes it (UTF-8, a byte order mark dropped), or
    where it is not UTF-8: for the commands that edit files (`fmt`, `pull`)."""
    return decode_yaml_bytes(path.read_bytes())


def line_ends(text: str) -> tuple[str, str]:
    """`text` with `\n` line ends, and the line end it mostly has (`\r\n` from a Windows
    checkout, else `\n`): the commands that edit files keep it, and only the layout counts."""
    crlf = text.count("\r\n")
    if not crlf:
        return text, "\n"
    return text.replace("\r\n", "\n"), "\r\n" if 2 * crlf > text.count("\n") else "\n"


def with_line_ends(text: str, newline: str) -> str:
    """`text` (with `\n` line ends) with `newline` ends instead."""
    return text if newline == "\n" else text.replace("\n", newline)


def read_packaged(name: str) -> str:
    """A text file shipped inside the package, by its path under `onepin_sync/` (package data,
    found wherever onepin-sync is installed)."""
    return resources.files("onepin_sync").joinpath(name).read_text(encoding="utf-8")
