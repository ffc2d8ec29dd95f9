"""The lockfile (`onepin-sync.lock`): read strictly, write atomically.

JSON with sorted keys, 2-space indent and a trailing newline, so it diffs well in git. A corrupt
lockfile, or one written by a newer format, is refused and never treated as empty: treating it as
empty would plan to re-create every workflow. Writes go to a temporary file in the same folder,
are fsynced, then `os.replace`d over the old file, so a crash leaves the old or the new file,
never half of one (the next lockfile write removes the temporary file a crash left behind).
Never holds a token or a secret (hashes are salted per lineage).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import uuid
from pathlib import Path

from pydantic import ValidationError

from onepin_sync.core.models import StateFile
from onepin_sync.errors import StateError
from onepin_sync.files.writer import atomic_write

FORMAT_VERSION = 1


def new_state(api_url: str, workspace: str | None) -> StateFile:
    """A fresh, empty lockfile for a target: new lineage, new salt, serial 0."""
    return StateFile(
        format_version=FORMAT_VERSION,
        lineage=str(uuid.uuid4()),
        serial=0,
        salt=secrets.token_hex(16),
        api_url=api_url,
        workspace=workspace,
    )


def read_lockfile(path: Path) -> StateFile | None:
    """The lockfile at `path`, or None when there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"{path}: cannot read the lockfile ({exc})") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(
            f"{path}:{exc.lineno}:{exc.colno}: the lockfile is not valid JSON ({exc.msg}); "
            "refusing to treat it as empty. Restore it from git"
        ) from None
    if not isinstance(raw, dict):
        raise StateError(f"{path}: the lockfile is not a JSON object; restore it from git")
    version = raw.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise StateError(
            f"{path}: lockfile format_version {version} was written by a newer onepin-sync; "
            "upgrade onepin-sync to use it"
        )
    try:
        return StateFile.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise StateError(
            f"{path}: damaged lockfile: {where}: {error['msg']}; restore it from git"
        ) from None


def lockfile_text(state: StateFile) -> str:
    """The exact bytes written to disk (deterministic)."""
    text = json.dumps(state.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)
    return text + "\n"


def write_lockfile(path: Path, state: StateFile) -> None:
    """Atomically replace the lockfile with `state`; the caller holds the state lock.

    Temporary files that a writer killed mid-write left next to the lockfile are removed first:
    under the lock no other writer can be using one, and left there they would end up in git.
    """
    temporary = re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.tmp")
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(path.parent):
            if temporary.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)
    atomic_write(path, lockfile_text(state), failpoint_name="lockfile.before_replace")
