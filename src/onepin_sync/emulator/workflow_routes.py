"""The workflow routes under `/api/v1/workflows`, with the real paths, statuses and semantics.

    GET    /api/v1/workflows                     list (counted pagination; read)
    POST   /api/v1/workflows                     create, 201 (write)
    GET    /api/v1/workflows/name-availability   always available (read)
    POST   /api/v1/workflows/validate            run-start rule set, nothing stored (write)
    GET    /api/v1/workflows/{id}                get (read)
    PUT    /api/v1/workflows/{id}                full replace; omitted description clears it
    PATCH  /api/v1/workflows/{id}                present top-level keys replace; empty body 422
    DELETE /api/v1/workflows/{id}                soft delete, {deleted: true}; then 404 everywhere
    POST   /api/v1/workflows/{id}/duplicate      201, "<name> (Copy)", zero runs

Literal paths are registered before `/{id}`. Reads carry the definition migrated by the profile
(`migrate.py`); a write's response carries it migrated too in `current`, as stored in `next`. Names
are checked as sent in `current`, trimmed first in `next`. A workflow of another workspace is 404,
as if it did not exist.
Imports FastAPI.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from starlette.responses import JSONResponse

from onepin_sync.emulator.dependencies import AppState, ReadKey, WriteKey
from onepin_sync.emulator.envelope import (
    ApiProblem,
    FieldError,
    format_timestamp,
    validation_problem,
)
from onepin_sync.emulator.keys import ApiKey
from onepin_sync.emulator.profiles import ServerProfile
from onepin_sync.emulator.readiness import assess_definition
from onepin_sync.emulator.responses import ok
from onepin_sync.emulator.schemas import (
    DeletedOut,
    NameAvailabilityOut,
    WorkflowCreateBody,
    WorkflowOut,
    WorkflowPatchBody,
    WorkflowReplaceBody,
    WorkflowValidateBody,
)
from onepin_sync.emulator.state import EmulatorState
from onepin_sync.emulator.store import ListQuery, WorkflowRecord
from onepin_sync.emulator.validation import (
    NAME_MAX,
    check_definition,
    check_description,
    check_name,
    encode_definition,
)
from onepin_sync.emulator.workflow_view import workflow_out

PLACEHOLDER_NAME = "Untitled workflow"
COPY_SUFFIX = " (Copy)"
EMPTY_DEFINITION: dict[str, Any] = {"graph": {"nodes": [], "edges": []}}
DEFAULT_ORDER = {"name": "asc", "updated_at": "desc", "runs_count": "desc"}
MAX_OFFSET = 1_000_000_000

SortField = Literal["name", "updated_at", "runs_count"]
SortOrder = Literal["asc", "desc"]
ListStatus = Literal["draft", "running", "completed", "failed", "paused"]

router = APIRouter(prefix="/api/v1/workflows")


def _checked_definition(
    definition: dict[str, Any], errors: list[FieldError], profile: ServerProfile
) -> str:
    """The raw JSON to store; appends every save-time problem to `errors`."""
    errors.extend(p.to_field_error() for p in check_definition(definition, profile.node_types))
    try:
        return encode_definition(definition)
    except ValueError as exc:
        errors.append(FieldError("definition", str(exc)))
        return ""


def _checked_name(name: str, errors: list[FieldError], profile: ServerProfile) -> str:
    """The name to store (trimmed where the profile trims names); appends its problems."""
    stored = name.strip() if profile.trims_names else name
    errors.extend(check_name(stored))
    return stored


def _read(state: EmulatorState, record: WorkflowRecord) -> WorkflowOut:
    """A workflow as reads return it: the definition migrated."""
    return workflow_out(record, state.profile)


def _written(state: EmulatorState, record: WorkflowRecord) -> WorkflowOut:
    """A workflow as a write's response carries it (migrated or as stored, by profile)."""
    return workflow_out(record, state.profile, migrated=state.profile.migrates_write_responses)


def _not_found(workflow_id: uuid.UUID) -> ApiProblem:
    return ApiProblem(404, f"Workflow {workflow_id} not found.")


def _utc_text(moment: datetime | None, field: str, errors: list[FieldError]) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        errors.append(FieldError(field, "must be an ISO 8601 datetime with a UTC offset"))
        return None
    return format_timestamp(moment.astimezone(UTC))


def _page_url(request: Request, offset: int, limit: int) -> str:
    return str(request.url.include_query_params(offset=offset, limit=limit))


@router.get("")
async def list_workflows(
    request: Request,
    state: AppState,
    key: ReadKey,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    search: Annotated[str | None, Query(max_length=100)] = None,
    sort: Annotated[list[SortField] | None, Query()] = None,
    order: Annotated[list[SortOrder] | None, Query()] = None,
    status: ListStatus | None = None,
    has_failed_run: bool | None = None,
    include_definition: bool = False,
    last_run_after: datetime | None = None,
    last_run_before: datetime | None = None,
) -> JSONResponse:
    """A counted page of the workspace's workflows (default order `updated_at DESC, id ASC`)."""
    errors: list[FieldError] = []
    after = _utc_text(last_run_after, "last_run_after", errors)
    before = _utc_text(last_run_before, "last_run_before", errors)
    if after is not None and before is not None and after > before:
        errors.append(FieldError("last_run_before", "must not be earlier than last_run_after"))
    if errors:
        raise validation_problem(errors)
    fields: list[str] = list(sort or ["updated_at"])
    orders: list[str] = list(order or [])
    pairs = tuple(
        (f, orders[i] if i < len(orders) else DEFAULT_ORDER[f]) for i, f in enumerate(fields)
    )
    query = ListQuery(
        offset=offset,
        limit=limit,
        search=search,
        sort=pairs,
        status=status,
        has_failed_run=has_failed_run,
        last_run_after=after,
        last_run_before=before,
        include_definition=include_definition,
    )
    records, total = state.store.list(key.workspace_id, query)
    pagination = {
        "limit": limit,
        "total": total,
        "next": _page_url(request, offset + limit, limit) if offset + limit < total else None,
        "prev": _page_url(request, max(0, offset - limit), limit) if offset > 0 else None,
    }
    return ok([_read(state, r) for r in records], pagination=pagination)


@router.post("")
async def create_workflow(
    state: AppState,
    key: WriteKey,
    body: Annotated[WorkflowCreateBody | None, Body()] = None,
) -> JSONResponse:
    """Create; without a name it is `Untitled workflow` with `name_source: placeholder`."""
    body = body or WorkflowCreateBody()
    errors: list[FieldError] = []
    name = PLACEHOLDER_NAME
    if body.name is not None:
        name = _checked_name(body.name, errors, state.profile)
    errors += check_description(body.description)
    definition = body.definition if body.definition is not None else EMPTY_DEFINITION
    definition_json = _checked_definition(definition, errors, state.profile)
    if errors:
        raise validation_problem(errors)
    record = state.store.create(
        workspace_id=key.workspace_id,
        user_id=key.user_id,
        name=name,
        name_source="user" if body.name is not None else "placeholder",
        description=body.description,
        definition_json=definition_json,
    )
    return ok(_written(state, record), status=201)  # assumed: documented only as "2xx"


@router.get("/name-availability")
async def name_availability(key: ReadKey, name: str, exclude_id: str | None = None) -> JSONResponse:
    """Deprecated shim: names are not unique, so every valid name is available."""
    trimmed = name.strip()
    errors = check_name(trimmed)
    if errors:
        raise validation_problem(errors)
    return ok(NameAvailabilityOut(name=trimmed, available=True))


@router.post("/validate")
async def validate_workflow(
    state: AppState, key: WriteKey, body: WorkflowValidateBody
) -> JSONResponse:
    """200 for a body the definition model accepts (a node without `type` or `position`, a
    non-numeric coordinate or an edge missing a field is 422, as the real request model
    answers); `valid` reflects `errors` (see `readiness.py`)."""
    return ok(assess_definition(body.definition.as_sent(), state.profile.node_types))


def _stored(state: EmulatorState, key: ApiKey, workflow_id: uuid.UUID) -> WorkflowRecord:
    record = state.store.get(key.workspace_id, str(workflow_id))
    if record is None:
        raise _not_found(workflow_id)
    return record


@router.get("/{workflow_id}")
async def get_workflow(state: AppState, key: ReadKey, workflow_id: uuid.UUID) -> JSONResponse:
    """One live workflow of the key's workspace."""
    return ok(_read(state, _stored(state, key, workflow_id)))


def _write(
    state: EmulatorState, key: ApiKey, workflow_id: uuid.UUID, changes: dict[str, str | None]
) -> JSONResponse:
    record = state.store.update(key.workspace_id, str(workflow_id), changes)
    if record is None:
        raise _not_found(workflow_id)
    return ok(_written(state, record))


@router.put("/{workflow_id}")
async def replace_workflow(
    state: AppState, key: WriteKey, workflow_id: uuid.UUID, body: WorkflowReplaceBody
) -> JSONResponse:
    """Full replace of name, description and definition."""
    errors: list[FieldError] = []
    name = _checked_name(body.name, errors, state.profile)
    errors += check_description(body.description)
    definition_json = _checked_definition(body.definition, errors, state.profile)
    if errors:
        raise validation_problem(errors)
    changes: dict[str, str | None] = {
        "name": name,
        "name_source": "user",
        "description": body.description,
        "definition": definition_json,
    }
    return _write(state, key, workflow_id, changes)


@router.patch("/{workflow_id}")
async def patch_workflow(
    state: AppState, key: WriteKey, workflow_id: uuid.UUID, body: WorkflowPatchBody
) -> JSONResponse:
    """Replace the top-level keys present in the body (not a merge patch)."""
    present = body.model_fields_set
    errors: list[FieldError] = []
    changes: dict[str, str | None] = {}
    if not present:
        message = "send at least one of name, description, definition"
        raise validation_problem([FieldError("body", message)], "The update is empty.")
    if "name" in present:
        if body.name is None:
            errors.append(FieldError("name", "must not be null"))
        else:
            name = _checked_name(body.name, errors, state.profile)
            changes.update(name=name, name_source="user")  # assumed, as on create
    if "description" in present:
        errors += check_description(body.description)
        changes["description"] = body.description
    if "definition" in present:
        if body.definition is None:
            errors.append(FieldError("definition", "must not be null"))
        else:
            changes["definition"] = _checked_definition(body.definition, errors, state.profile)
    if errors:
        raise validation_problem(errors)
    return _write(state, key, workflow_id, changes)


@router.delete("/{workflow_id}")
async def delete_workflow(state: AppState, key: WriteKey, workflow_id: uuid.UUID) -> JSONResponse:
    """Soft delete, answering `{"deleted": true}`; a second delete is 404."""
    if not state.store.soft_delete(key.workspace_id, str(workflow_id)):
        raise _not_found(workflow_id)
    return ok(DeletedOut(deleted=True))


@router.post("/{workflow_id}/duplicate")
async def duplicate_workflow(
    state: AppState, key: WriteKey, workflow_id: uuid.UUID
) -> JSONResponse:
    """A copy named `<name> (Copy)` (the source name cut to keep 200 characters), zero runs."""
    source = _stored(state, key, workflow_id)
    assert source.definition_json is not None
    # documented: "<name> (Copy)" and 201; assumed: the cut at 200 and the copied name_source
    name = source.name[: NAME_MAX - len(COPY_SUFFIX)] + COPY_SUFFIX
    record = state.store.create(
        workspace_id=key.workspace_id,
        user_id=key.user_id,
        name=name,
        name_source=source.name_source,
        description=source.description,
        definition_json=source.definition_json,
    )
    return ok(_written(state, record), status=201)
