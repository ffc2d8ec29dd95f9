"""Every non-2xx becomes one of our errors with a one-line message; redirects are refused; the API
key never appears in a message, a log line or a repr."""

from __future__ import annotations

import httpx
import pytest

from onepin_sync import __version__
from onepin_sync.api.client import SessionOptions
from onepin_sync.core.models import WorkflowSpec
from onepin_sync.core.redact import MASK
from onepin_sync.errors import ApiError, AuthError, InputError, NotFoundError
from tests.api.fakes import API_KEY, WORKFLOWS, Harness, ScriptedServer, fail, ok, workflow_item

SPEC = WorkflowSpec(name="welcome call")
CREATE = f"POST {WORKFLOWS}"

DETAILS = [
    {"field": "definition.graph.edges[0].sourcePort", "message": "unknown port 'out'"},
    {"field": "name", "message": "must not be blank", "line_numbers": [3]},
]
FASTAPI_422 = {
    "detail": [
        {"loc": ["body", "name"], "msg": "Field required", "type": "missing"},
        {
            "loc": ["body", "definition", "graph", "edges", 0, "sourcePort"],
            "msg": "Input should be a valid string",
            "type": "string_type",
        },
    ]
}


@pytest.mark.parametrize(
    ("response", "message"),
    [
        pytest.param(
            fail(422, "VALIDATION_ERROR", "Request validation failed", details=DETAILS),
            "422 VALIDATION_ERROR: definition.graph.edges[0].sourcePort: unknown port 'out'; "
            "name: must not be blank (request 01JREQ)",
            id="envelope-422-details",
        ),
        pytest.param(
            fail(422, "VALIDATION_ERROR", "name must not be blank"),
            "422 VALIDATION_ERROR: name must not be blank (request 01JREQ)",
            id="envelope-without-details",
        ),
        pytest.param(
            fail(
                422,
                "VALIDATION_ERROR",
                "x",
                details=[{"field": f"f{i}", "message": "bad"} for i in range(7)],
            ),
            "422 VALIDATION_ERROR: f0: bad; f1: bad; f2: bad; f3: bad; f4: bad; and 2 more "
            "(request 01JREQ)",
            id="many-details-summarised",
        ),
        pytest.param(
            httpx.Response(422, json=FASTAPI_422),
            "422 Unprocessable Entity: name: Field required; "
            "definition.graph.edges[0].sourcePort: Input should be a valid string",
            id="fastapi-detail-list",
        ),
        pytest.param(
            httpx.Response(400, json={"detail": "Not allowed here"}),
            "400 Bad Request: Not allowed here",
            id="fastapi-detail-string",
        ),
        pytest.param(
            httpx.Response(400, json={"code": "CONFLICT", "message": "busy", "request_id": "r9"}),
            "400 CONFLICT: busy (request r9)",
            id="flat-code-message",
        ),
        pytest.param(
            httpx.Response(400, json={"error": "invalid_request"}),
            "400 Bad Request: invalid_request",
            id="error-as-plain-string",
        ),
        pytest.param(
            httpx.Response(400, text="upstream said\nno", headers={"X-Request-Id": "hdr-1"}),
            "400 Bad Request: upstream said (request hdr-1)",
            id="plain-text-first-line",
        ),
        pytest.param(
            httpx.Response(
                400, text="<html><body>Error</body></html>", headers={"content-type": "text/html"}
            ),
            "400 Bad Request",
            id="html-page-dropped",
        ),
        pytest.param(httpx.Response(418), "418 I'm a teapot", id="empty-body"),
        pytest.param(
            httpx.Response(400, json=["odd"]), "400 Bad Request", id="json-but-not-an-object"
        ),
        pytest.param(
            httpx.Response(400, text="[" * 100_000 + "]" * 100_000),
            "400 Bad Request: " + "[" * 199 + "…",
            id="json-nested-too-deeply",
        ),
        pytest.param(
            fail(400, None, "", request_id=None), "400 Bad Request", id="envelope-all-empty"
        ),
        pytest.param(
            fail(400, "BAD_REQUEST", "a\n  very\tspread   message"),
            "400 BAD_REQUEST: a very spread message (request 01JREQ)",
            id="whitespace-collapsed",
        ),
    ],
)
def test_error_bodies_become_one_line_messages(response: httpx.Response, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        Harness(ScriptedServer(response)).run(lambda c: c.create_workflow(SPEC))
    assert str(caught.value) == f"{CREATE}: {message}"
    assert caught.value.status == response.status_code
    assert "\n" not in str(caught.value)


def test_long_messages_are_cut() -> None:
    response = fail(400, "BAD_REQUEST", "x" * 1000)
    with pytest.raises(ApiError) as caught:
        Harness(ScriptedServer(response)).run(lambda c: c.create_workflow(SPEC))
    assert len(str(caught.value)) < 260
    assert str(caught.value).endswith("x… (request 01JREQ)")


@pytest.mark.parametrize(
    ("response", "error_type", "ending"),
    [
        pytest.param(
            fail(401, "INVALID_API_KEY", "Invalid API key"),
            AuthError,
            "; the API key is missing, invalid or revoked",
            id="401",
        ),
        pytest.param(
            fail(403, "FORBIDDEN", "Missing scope workflows:write"),
            AuthError,
            "; the API key lacks a scope (workflows:read / workflows:write)"
            " or the workspace is wrong",
            id="403",
        ),
        pytest.param(fail(404, "NOT_FOUND", "Workflow not found"), NotFoundError, ")", id="404"),
    ],
)
def test_status_codes_map_to_error_classes(
    response: httpx.Response, error_type: type[ApiError], ending: str
) -> None:
    with pytest.raises(error_type) as caught:
        Harness(ScriptedServer(response)).run(lambda c: c.patch_workflow("w1", {"name": "n"}))
    error = caught.value
    assert str(error).endswith(ending)
    assert (error.status, error.code, error.request_id) == (
        response.status_code,
        response.json()["error"]["code"],
        "01JREQ",
    )
    assert error.exit_code == 1


@pytest.mark.parametrize(
    ("location", "host"),
    [
        pytest.param("https://evil.example/collect", "evil.example", id="other-host"),
        pytest.param("/api/v2/workflows", "api.onepin.test", id="relative"),
    ],
)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_refused_not_followed(status: int, location: str, host: str) -> None:
    server = ScriptedServer(httpx.Response(status, headers={"Location": location}))
    with pytest.raises(ApiError) as caught:
        Harness(server).run(lambda c: c.get_workflow("w1"))
    assert str(caught.value) == (
        f"GET {WORKFLOWS}/w1: {status} unexpected redirect to {host} "
        "(not followed; check the base URL)"
    )
    assert len(server.requests) == 1


def test_redirect_without_location() -> None:
    with pytest.raises(ApiError, match=r"302 unexpected redirect \(not followed\)$"):
        Harness(ScriptedServer(httpx.Response(302))).run(lambda c: c.list_workflows())


def test_request_headers() -> None:
    server = ScriptedServer(ok(workflow_item(1)), ok(workflow_item(1)))
    Harness(server, settings={"workspace_id": "ws-1"}).run(lambda c: c.get_workflow("w1"))
    Harness(server).run(lambda c: c.get_workflow("w1"))
    with_workspace, without = server.requests
    assert with_workspace.headers["authorization"] == f"Bearer {API_KEY}"
    assert with_workspace.headers["user-agent"] == f"onepin-sync/{__version__}"
    assert with_workspace.headers["accept"] == "application/json"
    assert with_workspace.headers["x-workspace-id"] == "ws-1"
    assert "x-workspace-id" not in without.headers
    assert "content-type" not in without.headers  # no body, no content type


def test_base_url_path_prefix_is_kept() -> None:
    server = ScriptedServer(ok(workflow_item(1)))
    settings = {"base_url": "http://127.0.0.1:8765/onepin/"}
    Harness(server, settings=settings).run(lambda c: c.get_workflow("w1"))
    assert str(server.requests[0].url) == "http://127.0.0.1:8765/onepin/api/v1/workflows/w1"


# --- the key stays secret ------------------------------------------------------------------------


def test_the_key_is_never_in_a_message_a_log_line_or_a_repr() -> None:
    echo = {"error": {"code": "BAD", "message": f"bad header Bearer {API_KEY}"}, "meta": {}}
    failures = [
        httpx.Response(400, json=echo),
        httpx.Response(400, text=f"Authorization: Bearer {API_KEY}"),
        httpx.Response(401, json={"detail": [{"loc": ["header", API_KEY], "msg": API_KEY}]}),
        httpx.ConnectError(f"cannot connect with {API_KEY}"),
        httpx.Response(302, headers={"Location": "https://evil.example/"}),
        fail(403, "FORBIDDEN", "no"),
    ]
    seen: list[str] = []
    for failure in failures:
        harness = Harness(ScriptedServer(failure), settings={"max_retries": 0})
        with pytest.raises(ApiError) as caught:
            harness.run(lambda c: c.get_workflow("w1"))
        seen += [str(caught.value), repr(caught.value), *harness.lines, harness.client_repr]
    settings = SessionOptions(base_url="https://api.onepin.test", api_key=API_KEY)
    seen += [repr(settings), str(settings)]
    assert all(API_KEY not in text for text in seen)
    assert any(MASK in text for text in seen)  # echoed keys were masked, not dropped silently


def test_settings_repr_shows_everything_but_the_key() -> None:
    settings = SessionOptions(base_url="https://api.onepin.test", api_key=API_KEY, rps=5.0)
    assert repr(settings) == (
        "SessionOptions(base_url='https://api.onepin.test', workspace_id=None, timeout=30.0, "
        "deadline=None, parallelism=8, rps=5.0, max_retries=5)"
    )


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"parallelism": 0}, id="parallelism-0"),
        pytest.param({"rps": 0.0}, id="rps-0"),
        pytest.param({"deadline": -1.0}, id="deadline-negative"),
        pytest.param({"timeout": 0.0}, id="timeout-0"),
        pytest.param({"max_retries": -1}, id="max-retries-negative"),
        pytest.param({"base_url": "ftp://api.onepin.test"}, id="not-http"),
        pytest.param({"base_url": "api.onepin.test"}, id="no-scheme"),
    ],
)
def test_bad_settings_are_input_errors(settings: dict[str, object]) -> None:
    values: dict[str, object] = {"base_url": "https://api.onepin.test", "api_key": API_KEY}
    with pytest.raises(InputError) as caught:
        SessionOptions(**{**values, **settings})  # type: ignore[arg-type]
    assert API_KEY not in str(caught.value)


def test_a_body_that_is_not_json_is_refused_before_sending() -> None:
    server = ScriptedServer()
    spec = WorkflowSpec(name="n", definition={"graph": {"nodes": [{"x": float("nan")}]}})
    with pytest.raises(InputError, match=rf"^{CREATE}: the request body is not JSON"):
        Harness(server).run(lambda c: c.create_workflow(spec))
    assert server.requests == []
