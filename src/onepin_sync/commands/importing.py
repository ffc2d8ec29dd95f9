"""`import ID [KEY]`: adopt an unmanaged workflow. Writes nothing to the API.

With no workflow file for the key yet, the file is written from the remote workflow and the
lockfile records it as applied, so the next plan is empty. With a file already there, the
lockfile records the id with no applied fingerprint, so the next plan shows (and apply makes)
exactly the changes from the remote workflow to the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from onepin_sync.commands.context import (
    ClientOptions,
    RunEnvironment,
    Ui,
    connect,
    hold_lock,
    prepare,
    read_inputs_online,
)
from onepin_sync.core.fingerprint import desired_fingerprint
from onepin_sync.core.models import StateRefresh, WorkflowSpec
from onepin_sync.core.transitions import NEVER_APPLIED, entry_for, with_refreshes
from onepin_sync.errors import ExitCode, InputError
from onepin_sync.files.discovery import KEY_SEGMENT
from onepin_sync.files.loader import load_workflows
from onepin_sync.files.project import TargetOptions
from onepin_sync.files.scaffold import SCHEMA_FILE, schema_comment
from onepin_sync.files.writer import write_new
from onepin_sync.files.yamlwriter import workflow_yaml


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
    exit_code: int = ExitCode.OK


async def run(settings: ImportSettings, env: RunEnvironment, ui: Ui) -> ImportOutcome:
    inputs = await read_inputs_online(settings.target, env, ui)
    if settings.key is not None:
        check_key(settings.key)
    with hold_lock(inputs.store, settings.lock_timeout, env, ui):
        async with connect(inputs, settings.client, env, ui) as (target, client):
            state = (await prepare(inputs, target, client, ui, persist=True, listing=False)).state
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
            project = inputs.paths.lockfile.parent  # its schema: schemas/ beside the lockfile
            written = _write_file(inputs.paths.workflows, key, remote.spec, remote.id, project)
            reloaded = load_workflows(inputs.paths.workflows, env=env.environ)
            applied_hash = desired_fingerprint(reloaded.workflows[key].spec, state.salt)
        elif settings.key is None:
            raise InputError(
                f"a workflow file for {key} exists but is not managed; name the key explicitly "
                f"(onepin-sync import {remote.id} {key}) to adopt that file"
            )
        adopted = inputs.desired.workflows.get(key)  # an existing file: it says where secrets go
        prevent = adopted is not None and adopted.lifecycle.prevent_destroy
        paths = adopted.secret_paths if adopted is not None else ()
        destroy = adopted is None or adopted.lifecycle.destroy
        entry = entry_for(
            remote, applied_hash, state.salt, prevent, secret_paths=paths, destroy=destroy
        )
        inputs.store.write(with_refreshes(state, [StateRefresh(key=key, entry=entry)]))
    return ImportOutcome(key=key, workflow_id=remote.id, written=written)


def key_from_name(name: str, workflow_id: str) -> str:
    """A file key from a workflow name: lower-case words joined by '-' (the id when none)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].rstrip("-")
    return slug or f"workflow-{workflow_id[:8]}"


def check_key(key: str) -> None:
    if not all(KEY_SEGMENT.fullmatch(part) for part in key.split("/")):
        raise InputError(
            f"key {key!r}: use '/'-separated names of letters, digits, '-', '_' and '.' "
            "(not starting with '.'), e.g. support/welcome-call"
        )


def _write_file(
    folder: Path, key: str, spec: WorkflowSpec, workflow_id: str, project: Path
) -> Path:
    path = folder / f"{key}.yaml"
    schema = project / SCHEMA_FILE
    header = schema_comment(path, schema) if schema.is_file() else ""
    header += f"# Imported from Onepin workflow {workflow_id} by `onepin-sync import`.\n"
    if not write_new(path, workflow_yaml(spec, header=header)):
        raise InputError(f"{path} already exists")
    return path
