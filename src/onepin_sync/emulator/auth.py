"""Authentication and authorization of API routes, and `GET /api/v1/auth/whoami`.

Like the real service: `Authorization: Bearer op_live_...` names a key; an unknown or missing key is
401 `INVALID_API_KEY`; an `X-Workspace-Id` header that is not the key's workspace is 403
`FORBIDDEN` (a malformed one is 422); a key lacking the route's scope is 403 `FORBIDDEN`. Scopes are
flat: `workflows:write` does not imply `workflows:read`.

Routes depend on the annotated key types below (`ReadKey`, `WriteKey`, ...). Imports FastAPI.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse

from onepin_sync.emulator.envelope import ApiProblem, FieldError, validation_problem
from onepin_sync.emulator.keys import ApiKey, normalize_workspace_id
from onepin_sync.emulator.responses import ok
from onepin_sync.emulator.state import EmulatorState


def current_state(request: Request) -> EmulatorState:
    """The emulator state of the app serving `request`."""
    state = request.app.state.emulator
    assert isinstance(state, EmulatorState)
    return state


def authorize(request: Request, scope: str | None) -> ApiKey:
    """The request's key, checked against its workspace header and the needed scope."""
    key = current_state(request).keys.authenticate(request.headers.get("authorization"))
    if key is None:
        raise ApiProblem(
            401,
            "Missing or invalid API key: send 'Authorization: Bearer op_live_...'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    header = request.headers.get("x-workspace-id")
    if header is not None:
        try:
            requested = normalize_workspace_id(header.strip())
        except ValueError:
            raise validation_problem([FieldError("X-Workspace-Id", "must be a UUID")]) from None
        if requested != key.workspace_id:
            raise ApiProblem(403, f"This API key is not bound to workspace {requested}.")
    if scope is not None and scope not in key.scopes:
        raise ApiProblem(403, f"This API key lacks the scope '{scope}'.")
    return key


async def _any_key(request: Request) -> ApiKey:
    return authorize(request, None)


async def _read_key(request: Request) -> ApiKey:
    return authorize(request, "workflows:read")


async def _write_key(request: Request) -> ApiKey:
    return authorize(request, "workflows:write")


async def _catalog_key(request: Request) -> ApiKey:
    return authorize(request, "catalog:read")


AnyKey = Annotated[ApiKey, Depends(_any_key)]
ReadKey = Annotated[ApiKey, Depends(_read_key)]
WriteKey = Annotated[ApiKey, Depends(_write_key)]
CatalogKey = Annotated[ApiKey, Depends(_catalog_key)]

router = APIRouter()


@router.get("/api/v1/auth/whoami")
async def whoami(key: AnyKey) -> JSONResponse:
    """Who the key is: `AuthWhoamiOut`."""
    return ok(
        {
            "auth_kind": "api_key",
            "user_id": key.user_id,
            "workspace_id": key.workspace_id,
            "api_key_id": key.key_id,
            "scopes": sorted(key.scopes),
        }
    )
