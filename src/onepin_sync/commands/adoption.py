"""Bringing remote state into git: `import` (adopt an unmanaged workflow) and `pull` (accept
changes made outside onepin-sync into the workflow files). Neither writes to the API.

- `import`: with no workflow file for the key yet, the file is written from the remote workflow
  and the lockfile records it as applied, so the next plan is empty. With a file already there,
  the lockfile records the id with no applied hash, so the next plan shows (and apply makes)
  exactly the changes from the remote workflow to the file.
- `pull`: every managed workflow changed outside onepin-sync (and not in git) has its file
  rewritten from the remote workflow, keeping the file's leading comments and `lifecycle`, and
  the lockfile records it as applied. A file that uses `${env.…}`/`${secret.…}` is refused
  (rewriting it would bake the values in), and so is one also changed in git, unless `--force`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from onepin_sync.api.remote import read_remote
from onepin_sync.commands.context import (
    ClientOptions,
    RunEnvironment,
    Ui,
    connect,
    read_inputs,
    settled_state,
)
from onepin_sync.commands.executor import with_refreshes
from onepin_sync.core.fingerprint import normalize_spec, spec_hash
from onepin_sync.core.models import RemoteWorkflow, StateRefresh, WorkflowSpec
from onepin_sync.core.planner import remote_entry
from onepin_sync.errors import ConflictError, InputError
from onepin_sync.files.discovery import KEY_SEGMENT, find_workflow_files
from onepin_sync.files.loader import load_workflows
from onepin_sync.files.project import TargetOptions
from onepin_sync.files.yamlwriter import workflow_yaml
from onepin_sync.state.lockfile import atomic_write, write_lockfile
from onepin_sync.state.statelock import StateLock

NEVER_APPLIED = "never-applied"  # applied_hash of an import that adopted an existing file


@dataclass(frozen=True)
class ImportSettings:
    target: TargetOptions
    workflow_id: str
    key: str | None = None  # default: derived from the workflow's name
    lock_timeout: float = 0.0
    client: ClientOptions = field(default_factory=ClientOptions)


@dataclass(frozen=True)
class ImportOutcome:
    key: str
    workflow_id: str
    written: Path | None  # the workflow file written, None when an existing file was adopted


async def import_workflow(settings: ImportSettings, env: RunEnvironment, ui: Ui) -> ImportOutcome:
    inputs = read_inputs(settings.target, env, ui)
    if settings.key is not None:
        _check_key(settings.key)
    with StateLock(inputs.paths.lock, timeout=settings.lock_timeout, env=env.environ):
        async with connect(inputs, settings.client, env) as (target, client):
            state = await settled_state(inputs, target, client, ui, persist=True)
            managed = {entry.id: key for key, entry in state.workflows.items()}
            if settings.workflow_id in managed:
                raise InputError(
                    f"workflow {settings.workflow_id} is already managed as "
                    f"{managed[settings.workflow_id]}"
                )
            remote = await client.get_workflow(settings.workflow_id)
        if remote is None:
            raise InputError(f"no workflow {settings.workflow_id} in this workspace")
        key = settings.key or key_from_name(remote.name, remote.id)
        if key in state.workflows:
            raise InputError(f"{key} is already managed (id {state.workflows[key].id})")
        written = None
        applied_hash = NEVER_APPLIED
        if key not in inputs.desired.workflows:
            written = _write_file(inputs.paths.workflows, key, remote.spec, remote.id)
            reloaded = load_workflows(inputs.paths.workflows, env=env.environ)
            applied_hash = spec_hash(reloaded.workflows[key].spec, state.salt)
        elif settings.key is None:
            raise InputError(
                f"a workflow file for {key} exists but is not managed; name the key explicitly "
                f"(onepin-sync import {remote.id} {key}) to adopt that file"
            )
        prevent = key in inputs.desired.workflows and (
            inputs.desired.workflows[key].lifecycle.prevent_destroy
        )
        entry = remote_entry(remote, applied_hash, state.salt, prevent)
        write_lockfile(
            inputs.paths.lockfile, with_refreshes(state, [StateRefresh(key=key, entry=entry)])
        )
    return ImportOutcome(key=key, workflow_id=remote.id, written=written)


@dataclass(frozen=True)
class PullSettings:
    target: TargetOptions
    keys: tuple[str, ...] = ()  # empty: every managed workflow
    force: bool = False  # also overwrite files changed in git since the last apply
    lock_timeout: float = 0.0
    client: ClientOptions = field(default_factory=ClientOptions)


async def pull(settings: PullSettings, env: RunEnvironment, ui: Ui) -> list[Path]:
    """Rewrite the files of workflows changed outside onepin-sync; returns the files written."""
    inputs = read_inputs(settings.target, env, ui)
    with StateLock(inputs.paths.lock, timeout=settings.lock_timeout, env=env.environ):
        async with connect(inputs, settings.client, env) as (target, client):
            state = await settled_state(inputs, target, client, ui, persist=True)
            remote = await read_remote(client, state)
        unknown = [k for k in settings.keys if k not in state.workflows]
        if unknown:
            raise InputError(f"not managed (not in the lockfile): {', '.join(unknown)}")
        files = {ref.key: ref.path for ref in find_workflow_files(inputs.paths.workflows)[0]}
        pulled: dict[str, RemoteWorkflow] = {}
        refused: list[str] = []
        for key in settings.keys or sorted(state.workflows):
            entry = state.workflows[key]
            current = remote.workflows.get(entry.id)
            wanted = inputs.desired.workflows.get(key)
            if current is None or wanted is None:
                continue
            if spec_hash(normalize_spec(current.spec), state.salt) == entry.remote_hash:
                continue
            if spec_hash(wanted.spec, state.salt) != entry.applied_hash and not settings.force:
                refused.append(key)
                continue
            if "${" in files[key].read_text(encoding="utf-8"):
                raise InputError(
                    f"{wanted.path} uses ${{env.…}} or ${{secret.…}}; pulling would write their "
                    "values into it. Edit it by hand (or plan --refresh-only to keep the remote)"
                )
            pulled[key] = current
        if refused:
            raise ConflictError(
                "changed both in git and outside onepin-sync: "
                + ", ".join(refused)
                + "; pull --force overwrites the files, apply --force overwrites the workspace"
            )
        for key, current in pulled.items():
            path = files[key]
            lifecycle = inputs.desired.workflows[key].lifecycle
            text = workflow_yaml(current.spec, lifecycle=lifecycle, header=_leading_comments(path))
            atomic_write(path, text)
        if pulled:
            reloaded = load_workflows(inputs.paths.workflows, env=env.environ)
            refreshes = [
                StateRefresh(
                    key=key,
                    entry=remote_entry(
                        current,
                        spec_hash(reloaded.workflows[key].spec, state.salt),
                        state.salt,
                        reloaded.workflows[key].lifecycle.prevent_destroy,
                    ),
                )
                for key, current in pulled.items()
            ]
            write_lockfile(inputs.paths.lockfile, with_refreshes(state, refreshes))
    return [files[key] for key in pulled]


def _leading_comments(path: Path) -> str:
    """The comment lines at the top of a file (its schema line, its explanation)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line if line.endswith("\n") else line + "\n")
    return "".join(lines)


def key_from_name(name: str, workflow_id: str) -> str:
    """A file key from a workflow name: lower-case words joined by '-' (the id when none)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].rstrip("-")
    return slug or f"workflow-{workflow_id[:8]}"


def _check_key(key: str) -> None:
    if not all(KEY_SEGMENT.fullmatch(part) for part in key.split("/")):
        raise InputError(
            f"key {key!r}: use '/'-separated names of letters, digits, '-', '_' and '.' "
            "(not starting with '.'), e.g. support/welcome-call"
        )


def _write_file(folder: Path, key: str, spec: WorkflowSpec, workflow_id: str) -> Path:
    path = folder / f"{key}.yaml"
    header = f"# Imported from Onepin workflow {workflow_id} by `onepin-sync import`.\n"
    text = workflow_yaml(spec, header=header)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise InputError(f"{path} already exists") from None
    return path
