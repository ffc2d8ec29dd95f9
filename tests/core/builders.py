"""Small builders for planner and renderer tests: specs, desired/remote/lockfile states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from onepin_sync.core.fingerprint import (
    canonical_json,
    comparable,
    content_digest,
    desired_fingerprint,
    file_fingerprint,
    listed_digest,
    listed_fingerprint,
    remote_fingerprint,
)
from onepin_sync.core.models import (
    DesiredState,
    DesiredWorkflow,
    Lifecycle,
    RemoteState,
    RemoteWorkflow,
    StateEntry,
    StateFile,
    WorkflowSpec,
)
from tests.samples import definition

SALT = "test-salt"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def spec(name: str = "Welcome", description: str | None = "Greets", **kw: Any) -> WorkflowSpec:
    return WorkflowSpec(name=name, description=description, definition=definition(**kw))


def migrated(value: WorkflowSpec) -> WorkflowSpec:
    """What a server returns for `value`: config_version, config defaults, float positions."""
    defn = comparable(value).definition
    nodes = []
    for node in defn["graph"]["nodes"]:
        pos = node["position"]
        nodes.append(
            {**node, "config_version": 3, "position": {"x": float(pos["x"]), "y": float(pos["y"])}}
        )
    return value.model_copy(
        update={"definition": {**defn, "graph": {**defn["graph"], "nodes": nodes}}}
    )


def remote(value: WorkflowSpec, wid: str = "id-1", age: int = 0) -> RemoteWorkflow:
    return RemoteWorkflow(
        id=wid,
        name=value.name,
        description=value.description,
        definition=value.definition,
        created_at=T0,
        updated_at=T0 + timedelta(minutes=age),
    )


def file_bytes(value: WorkflowSpec, prevent_destroy: bool = False) -> bytes:
    """The bytes of a file that loads as `value`, for these tests (canonical JSON, which YAML
    reads as it is): what its `content_digest` and an entry's `file_hash` are taken over."""
    return canonical_json({"prevent_destroy": prevent_destroy, **value.model_dump()}).encode()


def file_hash(value: WorkflowSpec, prevent_destroy: bool = False) -> str:
    """The `file_hash` an entry records for the file of `file_bytes`."""
    return file_fingerprint(content_digest(file_bytes(value, prevent_destroy), {}), SALT)


def listed(workflow: RemoteWorkflow) -> str:
    """The `listed_digest` of `workflow` as these tests' listings spell it (canonical JSON)."""
    return listed_digest(workflow.name, workflow.description, canonical_json(workflow.definition))


def desired(
    *items: tuple[str, WorkflowSpec] | tuple[str, WorkflowSpec, bool],
    folder_exists: bool = True,
    digests: bool = False,
) -> DesiredState:
    """Workflows as files load them; with `digests`, each with the `content_digest` of its
    `file_bytes` (as the loader gives every file)."""
    workflows = {}
    for item in items:
        key, value = item[0], item[1]
        protect = bool(item[2]) if len(item) > 2 else False  # type: ignore[misc]
        workflows[key] = DesiredWorkflow(
            key=key,
            path=f"workflows/{key}.yaml",
            spec=value,
            lifecycle=Lifecycle(prevent_destroy=protect),
            content_digest=content_digest(file_bytes(value, protect), {}) if digests else None,
        )
    return DesiredState(workflows=workflows, folder_exists=folder_exists)


def entry(
    applied: WorkflowSpec,
    remote_wf: RemoteWorkflow,
    prevent_destroy: bool = False,
    *,
    with_file: bool = False,
) -> StateEntry:
    """The entry an apply of `applied` read back as `remote_wf` records; `with_file`: with the
    `file_hash` of its file (`file_bytes`) and the `listed_hash` of its listing (`listed`), as
    entries this release writes have."""
    return StateEntry(
        id=remote_wf.id,
        name=remote_wf.name,
        applied_hash=desired_fingerprint(applied, SALT),
        remote_hash=remote_fingerprint(remote_wf.spec, SALT),
        remote_updated_at=remote_wf.updated_at,
        prevent_destroy=prevent_destroy,
        file_hash=file_hash(applied, prevent_destroy) if with_file else None,
        listed_hash=listed_fingerprint(listed(remote_wf), SALT) if with_file else None,
    )


def lockfile(**entries: StateEntry) -> StateFile:
    return StateFile(
        lineage="lineage-1",
        serial=7,
        salt=SALT,
        api_url="http://127.0.0.1:1",
        workflows={k.replace("__", "/"): v for k, v in entries.items()},
    )


def remote_state(
    *workflows: RemoteWorkflow, missing: tuple[str, ...] = (), digests: bool = False
) -> RemoteState:
    """The listing of `workflows`; `digests`: read through a settler (each one's `listed`)."""
    return RemoteState(
        workflows={w.id: w for w in workflows},
        confirmed_missing=frozenset(missing),
        listed={w.id: listed(w) for w in workflows} if digests else {},
    )
