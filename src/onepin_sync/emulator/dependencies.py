"""The FastAPI dependencies the routes declare: the app's emulator state and the checked API key.

    AppState     the `EmulatorState` of the app serving the request (`create_app` attaches it)
    AnyKey       the request's API key, any scope (whoami)
    ReadKey      ... with `workflows:read`        WriteKey    ... with `workflows:write`
    CatalogKey   ... with `catalog:read`

Authorization works like the real service: `Authorization: Bearer op_live_...` names a key; an
unknown or missing key is 401 `INVALID_API_KEY`; an `X-Workspace-Id` header that is not the key's
workspace is 403 `FORBIDDEN` (a malformed one is 422); a key lacking the route's scope is 403
`FORBIDDEN`. Scopes are flat: `workflows:write` does not imply `workflows:read`. A key dependency
runs before the route's own parameters are validated, so a bad key is 401 even when the query is
malformed too. Imports FastAPI.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from onepin_sync.emulator.envelope import ApiProblem, FieldError, validation_problem
from onepin_sync.emulator.keys import ApiKey, normalize_workspace_id
from onepin_sync.emulator.state import EmulatorState


async def _app_state(request: Request) -> EmulatorState:
    state = request.app.state.emulator
    assert isinstance(state, EmulatorState)
    return state


AppState = Annotated[EmulatorState, Depends(_app_state)]


def authorize(
    state: EmulatorState, authorization: str | None, workspace_header: str | None, scope: str | None
) -> ApiKey:
    """The key named by `authorization`, checked against the workspace header and `scope`."""
    key = state.keys.authenticate(authorization)
    if key is None:
        raise ApiProblem(
            401,
            "Missing or invalid API key: send 'Authorization: Bearer op_live_...'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if workspace_header is not None:
        try:
            requested = normalize_workspace_id(workspace_header.strip())
        except ValueError:
            raise validation_problem([FieldError("X-Workspace-Id", "must be a UUID")]) from None
        if requested != key.workspace_id:
            raise ApiProblem(403, f"This API key is not bound to workspace {requested}.")
    if scope is not None and scope not in key.scopes:
        raise ApiProblem(403, f"This API key lacks the scope '{scope}'.")
    return key


def _key_with(scope: str | None) -> Callable[..., Awaitable[ApiKey]]:
    async def checked_key(request: Request, state: AppState) -> ApiKey:
        headers = request.headers
        return authorize(state, headers.get("authorization"), headers.get("x-workspace-id"), scope)

    return checked_key


AnyKey = Annotated[ApiKey, Depends(_key_with(None))]
ReadKey = Annotated[ApiKey, Depends(_key_with("workflows:read"))]
WriteKey = Annotated[ApiKey, Depends(_key_with("workflows:write"))]
CatalogKey = Annotated[ApiKey, Depends(_key_with("catalog:read"))]
