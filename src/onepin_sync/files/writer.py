"""The one module that writes files: atomically (temp file, fsync, `os.replace`, directory
fsync), so a reader sees the old file or the new one, never half of either; `write_new`, which
refuses to overwrite; and `append_text`, which only adds at the end (`init`'s `.gitignore`).

The lockfile, saved plans, pulled and imported workflow files and `init`'s files all go through it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from onepin_sync.errors import InputError
from onepin_sync.failpoints import failpoint


def check_output_file(path: Path, option: str) -> None:
    """Refuse an output file (`--out`) that names a folder or sits in a folder that does not
    exist, before anything is read or sent: a typo never creates folders anywhere."""
    if path.is_dir():
        raise InputError(f"{option} {path} is a folder; name the file to write")
    if not path.parent.is_dir():
        raise InputError(f"{option} {path}: the folder {path.parent} does not exist")


def write_output_file(path: Path, text: str, option: str) -> None:
    """`atomic_write` of an output file the user named, a failure reported as their input."""
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot write it ({exc.strerror or exc})") from None


def atomic_write(path: Path, text: str, *, failpoint_name: str | None = None) -> None:
    """Write `text` to `path` via a fsynced temporary file and `os.replace`.

    `failpoint_name` names the crash-test failpoint (see `failpoints`) between the two.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if failpoint_name is not None:
            failpoint(failpoint_name)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_new(path: Path, text: str) -> bool:
    """Create `path` with `text` (and its folders); False, writing nothing, when it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        return False
    return True


def append_text(path: Path, text: str) -> None:
    """Add `text` at the end of `path` (created if missing), flushed to disk (`.gitignore`)."""
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
