"""The control endpoint under `/_emulator/`, mounted only when enabled (`--control`).

    POST   /_emulator/keys                      {"workspace_id"?, "scopes"?} -> a new key, 201
                                                (a fresh isolated workspace without workspace_id)
    POST   /_emulator/faults                    one FaultRule -> {"id"}, 201
    GET    /_emulator/faults                    [{id, rule, matched, fired}]
    DELETE /_emulator/faults                    disarm all -> {"cleared": n}
    GET    /_emulator/requests?workspace_id=    [{seq, method, path, query, status, bytes_in,
                                                  bytes_out, duration_ms, fault, workspace_id,
                                                  body_keys, received_at}]
    DELETE /_emulator/requests                  -> {"cleared": n}
    POST   /_emulator/workflows/{id}/runs       {"status", "created_at"?} -> run statistics, 201
                                                (seeds run history for the list filters)
    GET    /_emulator/profile                   {"profile", "profiles"}: which Onepin this
                                                server plays (chosen when it starts)
    PUT    /_emulator/profile                   {"profile"} -> {"profile", "profiles"}: the
                                                server is upgraded (or rolled back) in place,
                                                every workspace and workflow kept, as when
                                                Onepin ships a release under its clients
    GET    /_emulator/clock                     {"now"}: the server's time
    POST   /_emulator/clock                     {"advance_seconds"} -> {"now"}: that much of the
                                                server's time passes at once (`clock.py`)

Answers are plain JSON (no envelope); errors use the API's error envelope. Control requests are
never logged, delayed, faulted or rate-limited. Imports FastAPI.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from onepin_sync.emulator.dependencies import AppState
from onepin_sync.emulator.envelope import (
    ApiProblem,
    FieldError,
    format_timestamp,
    validation_problem,
)
from onepin_sync.emulator.errors import EmulatorError
from onepin_sync.emulator.faults import FaultRule
from onepin_sync.emulator.profiles import PROFILE_NAMES, profile_named
from onepin_sync.emulator.responses import ApiJSONResponse, plain
from onepin_sync.emulator.schemas import (
    ArmedFault,
    Cleared,
    ClockBody,
    ClockOut,
    FaultId,
    NewKeyBody,
    ProfileBody,
    ProfileOut,
    RequestRecord,
    RunBody,
    RunStats,
    WorkspaceKey,
)
from onepin_sync.emulator.traffic import CONTROL_PREFIX

router = APIRouter(prefix=CONTROL_PREFIX)


@router.post("/keys")
async def create_key(state: AppState, body: NewKeyBody | None = None) -> ApiJSONResponse:
    body = body or NewKeyBody()
    workspace_id = str(body.workspace_id) if body.workspace_id is not None else None
    key = state.keys.create(workspace_id, body.scopes)
    answer = WorkspaceKey(
        api_key=key.key,
        workspace_id=key.workspace_id,
        scopes=tuple(sorted(key.scopes)),
        key_id=key.key_id,
        user_id=key.user_id,
    )
    return plain(answer, status=201)


@router.post("/faults")
async def add_fault(state: AppState, rule: FaultRule) -> ApiJSONResponse:
    return plain(FaultId(id=state.faults.add(rule)), status=201)


@router.get("/faults")
async def list_faults(state: AppState) -> ApiJSONResponse:
    return plain([ArmedFault(**armed) for armed in state.faults.describe()])


@router.delete("/faults")
async def clear_faults(state: AppState) -> ApiJSONResponse:
    return plain(Cleared(cleared=state.faults.clear()))


@router.get("/requests")
async def list_requests(
    state: AppState, workspace_id: Annotated[str | None, Query()] = None
) -> ApiJSONResponse:
    records = state.log.records(workspace_id)
    return plain([RequestRecord(**r.to_json()) for r in records])


@router.delete("/requests")
async def clear_requests(state: AppState) -> ApiJSONResponse:
    return plain(Cleared(cleared=state.log.clear()))


@router.post("/workflows/{workflow_id}/runs")
async def record_run(state: AppState, workflow_id: uuid.UUID, body: RunBody) -> ApiJSONResponse:
    created = body.created_at or state.clock.now()
    if created.tzinfo is None:
        raise validation_problem([FieldError("created_at", "must include a UTC offset")])
    record = state.store.record_run(str(workflow_id), body.status, format_timestamp(created))
    if record is None:
        raise ApiProblem(404, f"Workflow {workflow_id} not found.")
    stats = RunStats(
        workflow_id=record.id,
        runs_count=record.runs_count,
        last_run_at=record.last_run_at,
        last_run_status=record.last_run_status,
        run_status_counts=dict(record.run_status_counts),
    )
    return plain(stats, status=201)


@router.get("/clock")
async def read_clock(state: AppState) -> ApiJSONResponse:
    return plain(ClockOut(now=format_timestamp(state.clock.now())))


@router.post("/clock")
async def advance_clock(state: AppState, body: ClockBody) -> ApiJSONResponse:
    """Let `advance_seconds` of the server's time pass at once (see `clock.py`)."""
    return plain(ClockOut(now=format_timestamp(state.clock.advance(body.advance_seconds))))


@router.get("/profile")
async def server_profile(state: AppState) -> ApiJSONResponse:
    return plain(ProfileOut(profile=state.profile.name, profiles=list(PROFILE_NAMES)))


@router.put("/profile")
async def change_profile(state: AppState, body: ProfileBody) -> ApiJSONResponse:
    """Play another Onepin from the next request on: what is stored stays as it was written,
    and reads, writes and the catalogue follow the new profile's rules."""
    try:
        state.profile = profile_named(body.profile)
    except EmulatorError as exc:
        raise validation_problem([FieldError("profile", str(exc))]) from None
    return await server_profile(state)
