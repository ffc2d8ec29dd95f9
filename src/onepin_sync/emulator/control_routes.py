"""The control endpoint under `/_emulator/`, mounted only when enabled (`--control`).

    POST   /_emulator/keys                      {"workspace_id"?, "scopes"?} -> a new key, 201
                                                (a fresh isolated workspace without workspace_id)
    POST   /_emulator/faults                    one FaultRule -> {"id"}, 201
    GET    /_emulator/faults                    [{id, rule, matched, fired}]
    DELETE /_emulator/faults                    disarm all -> {"cleared": n}
    GET    /_emulator/requests?workspace_id=    [{seq, method, path, query, status, bytes_in,
                                                  bytes_out, duration_ms, fault, workspace_id}]
    DELETE /_emulator/requests                  -> {"cleared": n}
    POST   /_emulator/workflows/{id}/runs       {"status", "created_at"?} -> run statistics, 201
                                                (seeds run history for the list filters)

Answers are plain JSON (no envelope); errors use the API's error envelope. Control requests are
never logged, delayed, faulted or rate-limited. Imports FastAPI.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, field_validator

from onepin_sync.emulator.dependencies import AppState
from onepin_sync.emulator.envelope import (
    ApiProblem,
    FieldError,
    format_timestamp,
    validation_problem,
)
from onepin_sync.emulator.faults import FaultRule
from onepin_sync.emulator.keys import check_scopes
from onepin_sync.emulator.responses import ApiJSONResponse
from onepin_sync.emulator.traffic import CONTROL_PREFIX

router = APIRouter(prefix=CONTROL_PREFIX)


class NewKeyBody(BaseModel):
    """A key to create: in `workspace_id`, or in a fresh workspace; all scopes by default."""

    model_config = ConfigDict(extra="forbid")

    workspace_id: uuid.UUID | None = None
    scopes: list[str] | None = None

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str] | None) -> list[str] | None:
        if scopes is not None:
            check_scopes(scopes)
        return scopes


class RunBody(BaseModel):
    """One run to add to a workflow's history."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["pending", "running", "completed", "failed", "cancelled", "paused"]
    created_at: datetime | None = None


@router.post("/keys")
async def create_key(state: AppState, body: NewKeyBody | None = None) -> ApiJSONResponse:
    body = body or NewKeyBody()
    workspace_id = str(body.workspace_id) if body.workspace_id is not None else None
    key = state.keys.create(workspace_id, body.scopes)
    return ApiJSONResponse(key.to_json(), status_code=201)


@router.post("/faults")
async def add_fault(state: AppState, rule: FaultRule) -> ApiJSONResponse:
    return ApiJSONResponse({"id": state.faults.add(rule)}, status_code=201)


@router.get("/faults")
async def list_faults(state: AppState) -> ApiJSONResponse:
    return ApiJSONResponse(state.faults.describe())


@router.delete("/faults")
async def clear_faults(state: AppState) -> ApiJSONResponse:
    return ApiJSONResponse({"cleared": state.faults.clear()})


@router.get("/requests")
async def list_requests(
    state: AppState, workspace_id: Annotated[str | None, Query()] = None
) -> ApiJSONResponse:
    records = state.log.records(workspace_id)
    return ApiJSONResponse([r.to_json() for r in records])


@router.delete("/requests")
async def clear_requests(state: AppState) -> ApiJSONResponse:
    return ApiJSONResponse({"cleared": state.log.clear()})


@router.post("/workflows/{workflow_id}/runs")
async def record_run(state: AppState, workflow_id: uuid.UUID, body: RunBody) -> ApiJSONResponse:
    created = body.created_at or datetime.now(UTC)
    if created.tzinfo is None:
        raise validation_problem([FieldError("created_at", "must include a UTC offset")])
    record = state.store.record_run(str(workflow_id), body.status, format_timestamp(created))
    if record is None:
        raise ApiProblem(404, f"Workflow {workflow_id} not found.")
    stats: dict[str, Any] = {
        "workflow_id": record.id,
        "runs_count": record.runs_count,
        "last_run_at": record.last_run_at,
        "last_run_status": record.last_run_status,
        "run_status_counts": dict(record.run_status_counts),
    }
    return ApiJSONResponse(stats, status_code=201)
