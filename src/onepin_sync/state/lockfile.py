"""The lockfile (`onepin-sync.lock`): read strictly, write atomically.

JSON with sorted keys, 2-space indent and a trailing newline, so it diffs well in git. A corrupt
lockfile, or one written by a newer format, is refused and never treated as empty: treating it as
empty would plan to re-create every workflow. Writes go to a temporary file in the same folder,
are fsynced, then `os.replace`d over the old file, so a crash leaves the old or the new file,
never half of one (the next lockfile write removes the temporary file a crash left behind).
Never holds a token or a secret (hashes are salted per lineage): it records where the workspace
holds secrets (`secret_paths`), never what.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError

from onepin_sync.core.keys import (
    APPLIED_HASH_PATTERN,
    HASH_PATTERN,
    NEVER_APPLIED,
    WORKFLOW_ID_PATTERN,
    key_problem,
    quoted,
)
from onepin_sync.core.models import FrozenModel, PendingCreate, StateEntry, StateFile
from onepin_sync.errors import StateError
from onepin_sync.files.writer import atomic_write

FORMAT_VERSION = 3
"""3 added each entry's `file_hash` and `variables` (what its file was made of, so an unchanged
file need not be parsed again) and `listed_hash` (how the listing spelled its workflow, so an
unchanged one need not be put in canonical form): see `core/settled.py`. A release that reads
only 2 would refuse them as damage; the version tells it that a newer onepin-sync wrote them.
2 added `pending` (unanswered creates) and each entry's `secret_paths`, and requires
`workspace`. 1 and 2 are read and upgraded on the next write (1 with no secret paths: the next
apply records the files'; both without the hashes of 3, which the next plan records as a
lockfile-only refresh). An entry may also hold the lifecycle flags `destroy: false`,
`ignore_changes` and `accepted_remote: true`, and a pending create `destroy: false` and
`ignore_changes` (the entry adopting it records them). Optional fields are written only when they
differ from their default, so a file that holds none reads as it always did."""

_ENTRY_DEFAULTS: dict[str, Any] = {
    "destroy": True,
    "ignore_changes": [],
    "accepted_remote": False,
    "file_hash": None,
    "variables": [],
    "listed_hash": None,
}
"""Entry fields left out of the file while they hold these values (see `FORMAT_VERSION`)."""

_PENDING_DEFAULTS: dict[str, Any] = {"destroy": True, "ignore_changes": []}
"""The same for a pending create's fields."""


class _Strict(FrozenModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


_SecretPaths = list[Annotated[list[str], Field(min_length=1)]]
"""Places in a spec (`core/spec_paths.py`), each a list of segments: never values."""
_WorkflowId = Annotated[str, Field(pattern=WORKFLOW_ID_PATTERN)]
_Hash = Annotated[str, Field(pattern=HASH_PATTERN)]
_AppliedHash = Annotated[str, Field(pattern=APPLIED_HASH_PATTERN)]
_NOT_MATCHED = {
    WORKFLOW_ID_PATTERN: "not a workflow id (a lower-case UUID)",
    HASH_PATTERN: "not a hash (sha256: and 64 hex digits)",
    APPLIED_HASH_PATTERN: f"not a hash (sha256: and 64 hex digits, or {NEVER_APPLIED})",
}
"""What a field whose text breaks its pattern is not, for the message (`core/keys.py`): an id
is sent in request URLs, and a hash is compared, so neither is taken on trust."""


class _EntryOnDiskV1(_Strict):
    id: _WorkflowId
    name: str
    applied_hash: _AppliedHash
    remote_hash: _Hash
    remote_updated_at: datetime = Field(strict=False)  # an ISO string on disk
    prevent_destroy: bool


class _EntryOnDisk(_EntryOnDiskV1):
    secret_paths: _SecretPaths
    destroy: bool = True
    ignore_changes: list[str] = Field(default_factory=list)
    accepted_remote: bool = False


class _EntryOnDiskV3(_EntryOnDisk):
    file_hash: _Hash | None = None
    variables: list[str] = Field(default_factory=list)
    listed_hash: _Hash | None = None


class _PendingOnDisk(_Strict):
    name: str
    name_hash: _Hash
    structure: _Hash
    applied_hash: _AppliedHash
    sent_at: datetime = Field(strict=False)
    prevent_destroy: bool
    secret_paths: _SecretPaths
    destroy: bool = True
    ignore_changes: list[str] = Field(default_factory=list)


class _LockfileV1(_Strict):
    """Every field required, nothing coerced: a missing `workflows` is damage, not emptiness."""

    format_version: Literal[1]
    lineage: str
    serial: int = Field(ge=0)
    salt: str
    api_url: str
    workspace: str | None
    workflows: Mapping[str, _EntryOnDiskV1]


class _LockfileV2(_LockfileV1):
    format_version: Literal[2]  # type: ignore[assignment]
    workflows: Mapping[str, _EntryOnDisk]
    pending: dict[str, _PendingOnDisk]


class _LockfileV3(_LockfileV2):
    format_version: Literal[3]  # type: ignore[assignment]
    workflows: Mapping[str, _EntryOnDiskV3]


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
    """The lockfile at `path`, or None when there is none yet; StateError when it is damaged."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"{path}: cannot read the lockfile ({exc})") from None
    return parse_lockfile(text, str(path))


def parse_lockfile(text: str, where: str) -> StateFile:
    """A lockfile's text as a StateFile; StateError naming `where` for anything not exactly one."""
    try:
        raw = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise StateError(
            f"{where}:{exc.lineno}:{exc.colno}: the lockfile is not valid JSON ({exc.msg}); "
            "refusing to treat it as empty. Restore it from git"
        ) from None
    except _DuplicateKey as exc:
        raise StateError(f"{where}: damaged lockfile: key {exc} appears twice") from None
    except RecursionError:  # nested far deeper than any lockfile: not one
        raise StateError(
            f"{where}: the lockfile is not a lockfile (nested too deeply); restore it from git"
        ) from None
    if not isinstance(raw, dict):
        raise StateError(f"{where}: the lockfile is not a JSON object; restore it from git")
    version = raw.get("format_version")
    if type(version) is int and version > FORMAT_VERSION:
        raise StateError(
            f"{where}: lockfile format_version {version} was written by a newer onepin-sync; "
            "upgrade onepin-sync to use it"
        )
    models: dict[object, type[_LockfileV1]] = {1: _LockfileV1, 2: _LockfileV2}
    model = models.get(version, _LockfileV3)
    try:
        disk = model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        place = ".".join(str(p) for p in error["loc"]) or "format_version"
        pattern = str(error.get("ctx", {}).get("pattern"))
        message = _NOT_MATCHED.get(pattern, error["msg"])
        raise StateError(
            f"{where}: damaged lockfile: {place}: {message}; restore it from git"
        ) from None
    pending = disk.pending if isinstance(disk, _LockfileV2) else {}
    for records, field in ((disk.workflows, "workflows"), (pending, "pending")):
        for key in records:
            problem = key_problem(key)
            if problem is not None:
                raise StateError(
                    f"{where}: damaged lockfile: {field}: key {quoted(key)}: {problem}; restore "
                    "it from git"
                )
    owners: dict[str, str] = {}
    for key, entry in sorted(disk.workflows.items()):
        if entry.id in owners:
            raise StateError(
                f"{where}: damaged lockfile: {owners[entry.id]} and {key} both claim workflow "
                f"{entry.id}; restore it from git"
            )
        owners[entry.id] = key
    return StateFile(
        format_version=FORMAT_VERSION,
        lineage=disk.lineage,
        serial=disk.serial,
        salt=disk.salt,
        api_url=disk.api_url,
        workspace=disk.workspace,
        # From each model's own `__dict__`: `dict(model)` walks pydantic's iterator, which made
        # reading a lockfile of 1,000 entries take 18 ms instead of 10.
        workflows={k: StateEntry.model_validate(e.__dict__) for k, e in disk.workflows.items()},
        pending={k: PendingCreate.model_validate(p.__dict__) for k, p in pending.items()},
    )


class _DuplicateKey(Exception):
    pass


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(repr(key))
        out[key] = value
    return out


def lockfile_text(state: StateFile) -> str:
    """The exact bytes written to disk (deterministic)."""
    data = state.model_dump(mode="json")
    for records, defaults in (
        (data["workflows"], _ENTRY_DEFAULTS),
        (data["pending"], _PENDING_DEFAULTS),
    ):
        for record in records.values():
            for name, default in defaults.items():
                if record.get(name) == default:
                    del record[name]
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
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
