"""`GET /api/v1/auth/whoami`: who the request's key is (`AuthWhoamiOut`). Imports FastAPI."""

from fastapi import APIRouter
from starlette.responses import JSONResponse

from onepin_sync.emulator.dependencies import AnyKey
from onepin_sync.emulator.responses import ok
from onepin_sync.emulator.schemas import WhoamiOut

router = APIRouter()


@router.get("/api/v1/auth/whoami")
async def whoami(key: AnyKey) -> JSONResponse:
    """Who the key is: `AuthWhoamiOut`."""
    return ok(
        WhoamiOut(
            auth_kind="api_key",
            user_id=key.user_id,
            workspace_id=key.workspace_id,
            api_key_id=key.key_id,
            scopes=sorted(key.scopes),
        )
    )
