"""Authentication, scopes, workspaces, whoami, and the error envelope."""

import uuid
from typing import Any

import httpx
import pytest

from onepin_sync.emulator.control import EmulatorControl, EmulatorWorkspace
from onepin_sync.emulator.embedded import EmbeddedEmulator
from onepin_sync.emulator.keys import ALL_SCOPES

ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/workflows", None),
    ("POST", "/api/v1/workflows", {}),
    ("GET", "/api/v1/workflows/00000000-0000-4000-8000-000000000001", None),
    (
        "PUT",
        "/api/v1/workflows/00000000-0000-4000-8000-000000000002",
        {"name": "x", "definition": {}},
    ),
    ("PATCH", "/api/v1/workflows/00000000-0000-4000-8000-000000000003", {"name": "x"}),
    ("DELETE", "/api/v1/workflows/00000000-0000-4000-8000-000000000004", None),
    ("POST", "/api/v1/workflows/00000000-0000-4000-8000-000000000005/duplicate", None),
    ("POST", "/api/v1/workflows/validate", {"definition": {}}),
    ("GET", "/api/v1/auth/whoami", None),
]


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "meta"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert set(body["meta"]) == {"request_id", "timestamp"}
    return body


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=lambda v: str(v)[:40])
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer op_live_unknownKey0000000000000000000000", "Basic abc", "Bearer"],
    ids=["missing", "unknown", "not-bearer", "empty"],
)
def test_a_bad_or_missing_key_is_401(
    workspace: EmulatorWorkspace,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    authorization: str | None,
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with httpx.Client(base_url=workspace.base_url, headers=headers) as client:
        response = client.request(method, path, json=body)

    assert_error(response, 401, "INVALID_API_KEY")
    assert response.headers["www-authenticate"] == "Bearer"


def test_whoami_describes_the_key(api: httpx.Client, workspace: EmulatorWorkspace) -> None:
    response = api.get("/api/v1/auth/whoami")

    assert response.status_code == 200
    assert response.json()["data"] == {
        "auth_kind": "api_key",
        "user_id": workspace.user_id,
        "workspace_id": workspace.workspace_id,
        "api_key_id": workspace.key_id,
        "scopes": sorted(ALL_SCOPES),
    }


def test_the_default_dev_key_works(emulator: EmbeddedEmulator) -> None:
    headers = {"Authorization": f"Bearer {emulator.default_api_key}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers) as client:
        data = client.get("/api/v1/auth/whoami").json()["data"]

    assert data["workspace_id"] == emulator.default_workspace_id
    assert emulator.default_api_key.startswith("op_live_")
    assert len(emulator.default_api_key) == len("op_live_") + 32


@pytest.mark.parametrize(
    ("scopes", "method", "path", "allowed"),
    [
        (["workflows:write"], "GET", "/api/v1/workflows", False),
        (["workflows:read"], "GET", "/api/v1/workflows", True),
        (["workflows:read"], "POST", "/api/v1/workflows", False),
        (["workflows:write"], "POST", "/api/v1/workflows", True),
        (["workflows:read"], "POST", "/api/v1/workflows/validate", False),
        (["workflows:read"], "GET", "/api/v2/nodes/sink_preview", False),
        (["catalog:read"], "GET", "/api/v2/nodes/sink_preview", True),
        ([], "GET", "/api/v1/auth/whoami", True),
    ],
)
def test_scopes_are_flat_and_checked_per_route(
    workspace: EmulatorWorkspace, scopes: list[str], method: str, path: str, allowed: bool
) -> None:
    key = workspace.control.new_key(workspace.workspace_id, scopes)
    headers = {"Authorization": f"Bearer {key.api_key}"}
    payload: dict[str, Any] | None = {} if method == "POST" else None
    if path.endswith("validate"):
        payload = {"definition": {}}
    with httpx.Client(base_url=workspace.base_url, headers=headers) as client:
        response = client.request(method, path, json=payload)

    if allowed:
        assert response.status_code in (200, 201), response.text
    else:
        error = assert_error(response, 403, "FORBIDDEN")["error"]
        assert "scope" in error["message"]


def test_workspace_header_must_match_the_key(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    same = api.get("/api/v1/workflows", headers={"X-Workspace-Id": workspace.workspace_id.upper()})
    other = api.get("/api/v1/workflows", headers={"X-Workspace-Id": str(uuid.uuid4())})
    malformed = api.get("/api/v1/workflows", headers={"X-Workspace-Id": "workspace-1"})

    assert same.status_code == 200
    assert_error(other, 403, "FORBIDDEN")
    body = assert_error(malformed, 422, "VALIDATION_ERROR")
    assert body["error"]["details"] == [{"field": "X-Workspace-Id", "message": "must be a UUID"}]


def test_unknown_routes_are_404_in_the_envelope(api: httpx.Client) -> None:
    assert_error(api.get("/api/v1/templates"), 404, "NOT_FOUND")
    assert_error(api.get("/"), 404, "NOT_FOUND")


def test_wrong_method_is_405_in_the_envelope(api: httpx.Client) -> None:
    response = api.delete("/api/v1/workflows")

    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "allow" in response.headers


def test_malformed_uuid_in_the_path_is_422(api: httpx.Client) -> None:
    body = assert_error(api.get("/api/v1/workflows/not-a-uuid"), 422, "VALIDATION_ERROR")

    assert body["error"]["details"][0]["field"] == "workflow_id"


def test_malformed_json_is_422_naming_the_body(api: httpx.Client) -> None:
    response = api.post(
        "/api/v1/workflows", content=b'{"name": ', headers={"content-type": "application/json"}
    )

    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert body["error"]["details"][0]["field"] == "body"


def test_auth_is_checked_before_request_validation(workspace: EmulatorWorkspace) -> None:
    with httpx.Client(base_url=workspace.base_url) as anonymous:
        response = anonymous.get("/api/v1/workflows", params={"limit": 1000})

    assert_error(response, 401, "INVALID_API_KEY")


def test_control_endpoint_is_absent_unless_enabled() -> None:
    with EmbeddedEmulator() as plain, httpx.Client(base_url=plain.base_url) as client:
        response = client.post("/_emulator/keys", json={})

    assert_error(response, 404, "NOT_FOUND")


def test_control_rejects_unknown_scopes(emulator_control: EmulatorControl) -> None:
    with pytest.raises(httpx.HTTPStatusError) as caught:
        emulator_control.new_workspace(["workflows:admin"])

    assert caught.value.response.status_code == 422
    assert "unknown scope" in caught.value.response.json()["error"]["details"][0]["message"]
