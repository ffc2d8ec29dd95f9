"""Which requests are retried on which failures, how long the client waits, and when it gives up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from onepin_sync.api.client import OnepinClient
from onepin_sync.core.models import WorkflowSpec
from onepin_sync.errors import AmbiguousCreateError, ApiError, AuthError, TransportError
from tests.api.fakes import WORKFLOWS, Harness, ScriptedServer, fail, ok, workflow_item

SPEC = WorkflowSpec(name="welcome call", definition={"graph": {"nodes": [], "edges": []}})
WID = workflow_item(1)["id"]

Operation = Callable[[OnepinClient], Awaitable[Any]]
OPERATIONS: dict[str, tuple[Operation, httpx.Response]] = {
    "GET": (lambda c: c.get_workflow(WID), ok(workflow_item(1))),
    "validate": (
        lambda c: c.validate_definition({"graph": {}}),
        ok({"valid": True, "summary": {}}),
    ),
    "PATCH": (lambda c: c.patch_workflow(WID, {"name": "x"}), ok(workflow_item(1))),
    "DELETE": (lambda c: c.delete_workflow(WID), ok({"deleted": True})),
    "create": (lambda c: c.create_workflow(SPEC), ok(workflow_item(1), status=201)),
}

FAILURES: dict[str, Callable[[], httpx.Response | Exception]] = {
    "429": lambda: fail(429, "RATE_LIMITED", "slow down"),
    "500": lambda: fail(500, "SERVER_ERROR", "boom"),
    "502": lambda: httpx.Response(502, text="bad gateway"),
    "503": lambda: fail(503, "SERVER_ERROR", "unavailable"),
    "504": lambda: httpx.Response(504),
    "ConnectError": lambda: httpx.ConnectError("connection refused"),
    "ConnectTimeout": lambda: httpx.ConnectTimeout("connect timed out"),
    "PoolTimeout": lambda: httpx.PoolTimeout("no free connection"),
    "ReadTimeout": lambda: httpx.ReadTimeout("read timed out"),
    "WriteTimeout": lambda: httpx.WriteTimeout("write timed out"),
    "reset": lambda: httpx.ReadError("connection reset by peer"),
    "RemoteProtocolError": lambda: httpx.RemoteProtocolError("server disconnected"),
    "400": lambda: fail(400, "BAD_REQUEST", "bad"),
    "401": lambda: fail(401, "INVALID_API_KEY", "bad key"),
    "408": lambda: fail(408, "TIMEOUT", "request timeout"),
    "409": lambda: fail(409, "CONFLICT", "conflict"),
    "422": lambda: fail(422, "VALIDATION_ERROR", "invalid"),
}

_ALWAYS = {"429", "502", "503", "504", "ConnectError", "ConnectTimeout", "PoolTimeout"}
_ALWAYS |= {"ReadTimeout", "WriteTimeout", "reset", "RemoteProtocolError"}
RETRIED = {
    "GET": _ALWAYS | {"500"},
    "validate": _ALWAYS | {"500"},
    "PATCH": _ALWAYS,
    "DELETE": _ALWAYS,
    "create": {"ConnectError", "ConnectTimeout", "PoolTimeout"},
}
AMBIGUOUS_CREATE = {"500", "502", "503", "504", "ReadTimeout", "WriteTimeout", "reset"}
AMBIGUOUS_CREATE |= {"RemoteProtocolError"}
ANSWERED_CREATE = {"408", "409", "429"}  # ambiguous, but the server finished with it
AMBIGUOUS_CREATE |= ANSWERED_CREATE


def _expected(operation: str, failure: str) -> str:
    if failure in RETRIED[operation]:
        return "retried"
    if operation == "create" and failure in AMBIGUOUS_CREATE:
        return "ambiguous"
    return "raised"


TABLE = [
    pytest.param(op, failure, _expected(op, failure), id=f"{op}-{failure}-{_expected(op, failure)}")
    for op in OPERATIONS
    for failure in FAILURES
]


@pytest.mark.parametrize(("operation", "failure", "expected"), TABLE)
def test_retry_decision_table(operation: str, failure: str, expected: str) -> None:
    action, success = OPERATIONS[operation]
    server = ScriptedServer(FAILURES[failure](), success)
    harness = Harness(server)
    if expected == "retried":
        harness.run(action)
        assert len(server.requests) == 2
        assert len(harness.clock.sleeps) == 1
    elif expected == "ambiguous":
        with pytest.raises(AmbiguousCreateError, match="may or may not have been created") as got:
            harness.run(action)
        assert len(server.requests) == 1
        assert got.value.answered is (failure in ANSWERED_CREATE)
    else:
        with pytest.raises(ApiError) as caught:
            harness.run(action)
        assert not isinstance(caught.value, AmbiguousCreateError)
        assert len(server.requests) == 1
        assert harness.clock.sleeps == []


def test_a_500_on_patch_is_not_retried_but_raised_with_its_details() -> None:
    server = ScriptedServer(fail(500, "SERVER_ERROR", "boom", request_id="01JX"))
    with pytest.raises(ApiError) as caught:
        Harness(server).run(lambda c: c.patch_workflow(WID, {"name": "x"}))
    assert str(caught.value) == f"PATCH {WORKFLOWS}/{WID}: 500 SERVER_ERROR: boom (request 01JX)"
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (
        500,
        "SERVER_ERROR",
        "01JX",
    )


def test_ambiguous_create_carries_when_the_request_started() -> None:
    server = ScriptedServer(httpx.ReadTimeout("read timed out"))
    before = datetime.now(UTC)
    with pytest.raises(AmbiguousCreateError) as caught:
        Harness(server).run(lambda c: c.create_workflow(SPEC))
    after = datetime.now(UTC)
    assert before <= caught.value.started_at <= after
    assert str(caught.value) == (
        f"POST {WORKFLOWS}: no response: ReadTimeout: read timed out; "
        "the workflow may or may not have been created"
    )


def test_ambiguous_create_after_5xx_keeps_status_code_and_request_id() -> None:
    server = ScriptedServer(fail(503, "SERVER_ERROR", "overloaded", request_id="01JAMB"))
    with pytest.raises(AmbiguousCreateError) as caught:
        Harness(server).run(lambda c: c.create_workflow(SPEC))
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (
        503,
        "SERVER_ERROR",
        "01JAMB",
    )


def test_create_answered_2xx_with_an_unreadable_body_is_ambiguous() -> None:
    server = ScriptedServer(httpx.Response(201, text="<html>created</html>"))
    with pytest.raises(AmbiguousCreateError, match="created but cannot be identified"):
        Harness(server).run(lambda c: c.create_workflow(SPEC))


def test_a_429_to_a_create_is_answered_and_carries_the_servers_wait() -> None:
    server = ScriptedServer(fail(429, "RATE_LIMITED", headers={"Retry-After": "7"}))
    with pytest.raises(AmbiguousCreateError) as caught:
        Harness(server).run(lambda c: c.create_workflow(SPEC))
    assert len(server.requests) == 1
    assert (caught.value.answered, caught.value.retry_after) == (True, 7.0)


def test_the_start_time_of_a_create_is_the_servers_clock() -> None:
    """A client clock ahead of the server's must not hide the workflow the create made."""
    served = formatdate(datetime(2030, 1, 1, tzinfo=UTC).timestamp(), usegmt=True)
    date = {"Date": served}
    server = ScriptedServer(ok(workflow_item(1), headers=date), httpx.ReadTimeout("slow"))
    harness = Harness(server)
    with pytest.raises(AmbiguousCreateError) as caught:
        harness.run(lambda c: _get_then_create(c))
    started = caught.value.started_at
    assert datetime(2030, 1, 1, tzinfo=UTC) <= started < datetime(2030, 1, 1, 0, 1, tzinfo=UTC)


async def _get_then_create(client: OnepinClient) -> object:
    await client.get_workflow(WID)
    return await client.create_workflow(SPEC)


def test_gives_up_after_max_retries_and_says_so() -> None:
    server = ScriptedServer(*[fail(503, "SERVER_ERROR", "down") for _ in range(6)])
    harness = Harness(server, random_value=1.0)
    with pytest.raises(ApiError) as caught:
        harness.run(lambda c: c.get_workflow(WID))
    assert len(server.requests) == 6
    assert str(caught.value) == (
        f"GET {WORKFLOWS}/{WID}: 503 SERVER_ERROR: down (request 01JREQ); gave up after 6 attempts"
    )
    assert caught.value.status == 503


def test_max_retries_zero_means_one_attempt() -> None:
    server = ScriptedServer(httpx.Response(503))
    with pytest.raises(ApiError, match=r"gave up after 1 attempt$"):
        Harness(server, settings={"max_retries": 0}).run(lambda c: c.get_workflow(WID))
    assert len(server.requests) == 1


def test_transport_errors_stay_transport_errors_when_retries_run_out() -> None:
    server = ScriptedServer(*[httpx.ConnectError("connection refused") for _ in range(3)])
    harness = Harness(server, settings={"max_retries": 2})
    with pytest.raises(TransportError) as caught:
        harness.run(lambda c: c.delete_workflow(WID))
    assert str(caught.value) == (
        f"DELETE {WORKFLOWS}/{WID}: no response: ConnectError: connection refused; "
        "gave up after 3 attempts"
    )
    assert harness.requests_sent == 0  # a failed connect never left the machine


def test_auth_errors_are_never_retried() -> None:
    server = ScriptedServer(fail(403, "FORBIDDEN", "missing scope"))
    with pytest.raises(AuthError):
        Harness(server).run(lambda c: c.list_workflows())
    assert len(server.requests) == 1


# --- backoff and Retry-After ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("random_value", "max_retries", "sleeps"),
    [
        pytest.param(1.0, 5, [0.5, 1.0, 2.0, 4.0, 8.0], id="full-jitter-top-of-range"),
        pytest.param(0.25, 5, [0.125, 0.25, 0.5, 1.0, 2.0], id="quarter"),
        pytest.param(1.0, 8, [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0], id="capped-at-30s"),
        pytest.param(0.0, 3, [0.0, 0.0, 0.0], id="jitter-can-be-zero"),
    ],
)
def test_backoff_is_full_jitter_exponential(
    random_value: float, max_retries: int, sleeps: list[float]
) -> None:
    server = ScriptedServer(*[httpx.Response(502) for _ in range(max_retries)], ok({"x": 1}))
    harness = Harness(server, settings={"max_retries": max_retries}, random_value=random_value)
    harness.run(lambda c: c.delete_workflow(WID))
    assert harness.clock.sleeps == sleeps


DATE = "Tue, 01 Jan 2030 00:00:00 GMT"
RESET_AT = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())  # DATE as Unix time


@pytest.mark.parametrize(
    ("headers", "slept"),
    [
        pytest.param({"Retry-After": "7"}, 7.0, id="delta-seconds"),
        pytest.param({"Retry-After": "0"}, 0.0, id="zero"),
        pytest.param({"Retry-After": "3600"}, 60.0, id="huge-capped-at-60"),
        pytest.param(
            {"Retry-After": "Tue, 01 Jan 2030 00:00:12 GMT", "Date": DATE}, 12.0, id="http-date"
        ),
        pytest.param(
            {"Retry-After": "Wed, 02 Jan 2030 00:00:00 GMT", "Date": DATE}, 60.0, id="date-capped"
        ),
        pytest.param(
            {"Retry-After": "Mon, 31 Dec 2029 23:59:00 GMT", "Date": DATE}, 0.0, id="date-past"
        ),
        pytest.param(
            {"X-RateLimit-Reset": str(RESET_AT + 5), "Date": DATE}, 5.0, id="ratelimit-reset"
        ),
        pytest.param(
            {"X-RateLimit-Reset": str(RESET_AT - 5), "Date": DATE}, 0.0, id="ratelimit-reset-past"
        ),
        pytest.param({"Retry-After": "soon"}, 0.25, id="unreadable-falls-back-to-backoff"),
        pytest.param({"Retry-After": "-5"}, 0.25, id="negative-falls-back-to-backoff"),
    ],
)
def test_retry_after_is_honoured_and_capped(headers: dict[str, str], slept: float) -> None:
    server = ScriptedServer(fail(429, "RATE_LIMITED", headers=headers), ok(workflow_item(1)))
    harness = Harness(server)
    harness.run(lambda c: c.get_workflow(WID))
    assert harness.clock.sleeps == ([slept] if slept else [])  # waiting 0 s is no sleep


def test_retry_after_date_without_a_date_header_is_measured_against_now() -> None:
    when = datetime.now(UTC).timestamp() + 3600
    server = ScriptedServer(
        httpx.Response(503, headers={"Retry-After": formatdate(when, usegmt=True)}),
        ok(workflow_item(1)),
    )
    harness = Harness(server)
    harness.run(lambda c: c.get_workflow(WID))
    assert harness.clock.sleeps == [60.0]


def test_retries_never_sleep_past_the_deadline() -> None:
    replies = [fail(503, "SERVER_ERROR", "down", headers={"Retry-After": "7"}) for _ in range(3)]
    server = ScriptedServer(*replies)
    harness = Harness(server, settings={"deadline": 10.0})
    with pytest.raises(ApiError) as caught:
        harness.run(lambda c: c.get_workflow(WID))
    assert harness.clock.sleeps == [7.0]  # a second 7 s wait would end at 14 s > 10 s
    assert len(server.requests) == 2
    assert str(caught.value).endswith("gave up: the 10 s deadline was reached")
    assert caught.value.status == 503


def test_no_request_is_sent_once_the_deadline_has_passed() -> None:
    server = ScriptedServer(ok(workflow_item(1)))
    harness = Harness(server, settings={"deadline": 5.0})

    async def late(client: OnepinClient) -> None:
        harness.clock.now += 6
        await client.get_workflow(WID)

    with pytest.raises(ApiError, match=r"not sent: the 5 s deadline passed"):
        harness.run(late)
    assert server.requests == []


def test_log_has_one_line_per_attempt_and_a_retry_notice() -> None:
    harness: Harness

    async def slow_then_ok(request: httpx.Request) -> httpx.Response:
        harness.clock.now += 0.012
        return ok(workflow_item(1)) if len(harness.lines) > 1 else httpx.Response(503)

    harness = Harness(slow_then_ok, random_value=0.5)
    harness.run(lambda c: c.get_workflow(WID))
    assert harness.lines == [
        f"GET {WORKFLOWS}/{WID} -> 503 (12 ms)",
        f"GET {WORKFLOWS}/{WID}: 503; retry 1 of 5 in 0.25 s",
        f"GET {WORKFLOWS}/{WID} -> 200 (12 ms)",
    ]
