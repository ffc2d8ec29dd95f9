"""Fault injection, the rate limiter and the request log, over real HTTP."""

import asyncio
import time
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from onepin_sync.emulator.control import EmulatorControl, EmulatorWorkspace
from onepin_sync.emulator.embedded import EmbeddedEmulator
from onepin_sync.emulator.faults import FaultRule

DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError, httpx.WriteError)


def total(api: httpx.Client) -> int:
    count: int = api.get("/api/v1/workflows").json()["pagination"]["total"]
    return count


def test_status_fault_answers_without_running_the_route(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    workspace.add_fault(kind="status", status=503, retry_after=7, method="POST")

    response = api.post("/api/v1/workflows", json={"name": "never stored"})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["code"] == "SERVER_ERROR"
    assert set(response.json()["meta"]) == {"request_id", "timestamp"}
    assert total(api) == 0
    assert api.post("/api/v1/workflows", json={}).status_code == 201  # times=1: fired once


def test_retry_after_may_be_an_http_date(api: httpx.Client, workspace: EmulatorWorkspace) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    workspace.add_fault(kind="status", status=429, retry_after=when)

    response = api.get("/api/v1/workflows")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert response.headers["retry-after"] == when


@pytest.mark.parametrize("status", [500, 502, 503, 504, 409, 422])
def test_any_error_status_can_be_injected(
    api: httpx.Client, workspace: EmulatorWorkspace, status: int
) -> None:
    workspace.add_fault(kind="status", status=status)

    response = api.get("/api/v1/workflows")

    assert response.status_code == status
    assert "retry-after" not in response.headers
    if status == 422:
        assert response.json()["error"]["details"]


def test_reset_drops_the_connection_before_the_route_runs(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    workspace.add_fault(kind="reset", method="POST")

    with pytest.raises(DROPPED):
        api.post("/api/v1/workflows", json={"name": "lost"})

    assert total(api) == 0
    [record] = [r for r in workspace.requests() if r.method == "POST"]
    assert record.status is None
    assert record.fault == "reset"


@pytest.mark.parametrize("reset", [False, True], ids=["5xx", "reset"])
def test_commit_then_fail_stores_the_write_but_fails_the_answer(
    api: httpx.Client, workspace: EmulatorWorkspace, reset: bool
) -> None:
    workspace.add_fault(kind="commit_then_fail", reset=reset, body_contains='"committed"')

    if reset:
        with pytest.raises(DROPPED):
            api.post("/api/v1/workflows", json={"name": "committed"})
    else:
        response = api.post("/api/v1/workflows", json={"name": "committed"})
        assert response.status_code == 502
        assert response.json()["error"]["code"] == "SERVER_ERROR"

    listed = api.get("/api/v1/workflows").json()["data"]
    assert [w["name"] for w in listed] == ["committed"]


def test_commit_then_fail_with_a_chosen_status(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    created = api.post("/api/v1/workflows", json={"name": "before"}).json()["data"]
    workspace.add_fault(kind="commit_then_fail", status=500, method="PATCH")

    response = api.patch(f"/api/v1/workflows/{created['id']}", json={"name": "after"})

    assert response.status_code == 500
    assert api.get(f"/api/v1/workflows/{created['id']}").json()["data"]["name"] == "after"


def test_latency_fault_delays_then_serves(api: httpx.Client, workspace: EmulatorWorkspace) -> None:
    workspace.add_fault(kind="latency", seconds=0.05, path=r"/workflows$")

    started = time.perf_counter()
    response = api.get("/api/v1/workflows")
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert elapsed >= 0.05
    assert workspace.requests()[-1].fault == "latency"


def test_nth_and_times_target_a_window_of_matching_requests(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    workspace.add_fault(kind="status", status=500, method="GET", nth=2, times=2)

    statuses = [api.get("/api/v1/workflows").status_code for _ in range(5)]
    api.post("/api/v1/workflows", json={})  # does not match, does not count

    assert statuses == [200, 500, 500, 200, 200]
    [armed] = workspace.control.faults()
    assert (armed.matched, armed.fired) == (5, 2)


def test_times_zero_fires_on_every_match(api: httpx.Client, workspace: EmulatorWorkspace) -> None:
    workspace.add_fault(kind="status", status=503, path=r"^/api/v1/workflows$", times=0)

    assert [api.get("/api/v1/workflows").status_code for _ in range(3)] == [503] * 3
    assert api.get("/api/v1/auth/whoami").status_code == 200


def test_faults_scoped_to_a_workspace_spare_the_others(
    api: httpx.Client, workspace: EmulatorWorkspace, emulator_control: EmulatorControl
) -> None:
    workspace.add_fault(kind="status", status=503, times=0)
    other = emulator_control.new_workspace()

    with httpx.Client(
        base_url=workspace.base_url, headers={"Authorization": f"Bearer {other.api_key}"}
    ) as neighbour:
        assert neighbour.get("/api/v1/workflows").status_code == 200
    assert api.get("/api/v1/workflows").status_code == 503


def test_only_one_terminal_fault_fires_per_request_and_the_next_waits(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    workspace.add_fault(kind="status", status=500)
    workspace.add_fault(kind="status", status=503)
    workspace.add_fault(kind="latency", seconds=0.001)

    statuses = [api.get("/api/v1/workflows").status_code for _ in range(3)]

    assert statuses == [500, 503, 200]
    assert [r.fault for r in workspace.requests()] == ["status,latency", "status", None]


def test_shift_moves_a_workflow_between_two_page_requests(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    for index in range(4):
        api.post("/api/v1/workflows", json={"name": f"w{index}"})
    first_page = [w["name"] for w in api.get("/api/v1/workflows?limit=2").json()["data"]]
    workspace.add_fault(kind="shift", path="/workflows$")

    second_page = [w["name"] for w in api.get("/api/v1/workflows?limit=2&offset=2").json()["data"]]

    assert first_page == ["w3", "w2"]
    assert second_page == ["w2", "w1"]  # w0 jumped to the top: w2 is seen twice, w0 never


def test_faults_given_at_start_fire() -> None:
    rule = FaultRule(kind="status", status=502, path="whoami")
    with EmbeddedEmulator(faults=[rule]) as emulator:
        headers = {"Authorization": f"Bearer {emulator.default_api_key}"}
        with httpx.Client(base_url=emulator.base_url, headers=headers) as client:
            assert client.get("/api/v1/auth/whoami").status_code == 502
            assert client.get("/api/v1/auth/whoami").status_code == 200


def test_fixed_latency_and_the_rate_limiter() -> None:
    with EmbeddedEmulator(latency_ms=20, rate_limit_per_min=3, control=True) as emulator:
        control = EmulatorControl(emulator.base_url)
        second = control.new_workspace()
        headers = {"Authorization": f"Bearer {emulator.default_api_key}"}
        with httpx.Client(base_url=emulator.base_url, headers=headers) as client:
            started = time.perf_counter()
            statuses = [client.get("/api/v1/workflows").status_code for _ in range(4)]
            elapsed = time.perf_counter() - started
            limited = client.get("/api/v1/workflows")
            other = client.get(
                "/api/v1/workflows", headers={"Authorization": f"Bearer {second.api_key}"}
            )
            anonymous = client.get("/api/v1/nodes", headers={"Authorization": ""})
        records = control.requests()
        control.close()

    assert statuses == [200, 200, 200, 429]
    assert elapsed >= 4 * 0.02
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["retry-after"]) <= 20
    assert other.status_code == 200  # buckets are per key
    assert anonymous.status_code == 200
    assert [r.fault for r in records].count("rate_limit") == 2


def test_the_request_log_records_what_was_served(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    api.post("/api/v1/workflows", json={"name": "logged"})
    api.get("/api/v1/workflows", params={"limit": 5})
    api.get(f"/api/v1/workflows/{'0' * 8}-0000-4000-8000-{'0' * 12}")
    workspace.control.faults()  # control requests are never logged

    post, listing, missing = workspace.requests()

    assert (post.method, post.path, post.status) == ("POST", "/api/v1/workflows", 201)
    assert post.bytes_in == len(b'{"name":"logged"}')
    assert post.bytes_out > 0
    assert post.duration_ms >= 0
    assert post.fault is None
    assert post.workspace_id == workspace.workspace_id
    assert (listing.method, listing.query, listing.status) == ("GET", "limit=5", 200)
    assert missing.status == 404
    assert post.seq < listing.seq < missing.seq


def test_the_request_log_keeps_the_top_level_keys_of_json_object_bodies(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    created = api.post("/api/v1/workflows", json={"name": "keys", "description": "d"})
    workflow_id = created.json()["data"]["id"]
    api.patch(f"/api/v1/workflows/{workflow_id}", json={"description": None})
    api.patch(f"/api/v1/workflows/{workflow_id}", json=["not", "an", "object"])
    api.patch(
        f"/api/v1/workflows/{workflow_id}",
        content=b'{"name": ',
        headers={"Content-Type": "application/json"},
    )
    api.get("/api/v1/workflows")

    records = workspace.requests()

    assert [r.body_keys for r in records] == [
        ["description", "name"],
        ["description"],
        None,
        None,
        None,
    ]
    assert [r.status for r in records] == [201, 200, 422, 422, 200]


def test_the_request_log_filters_by_workspace_and_clears(
    api: httpx.Client, workspace: EmulatorWorkspace, emulator: EmbeddedEmulator
) -> None:
    api.get("/api/v1/workflows")
    with httpx.Client(base_url=emulator.base_url) as anonymous:
        anonymous.get("/api/v1/nodes")

    everything = workspace.control.requests()
    mine = workspace.requests()
    workspace.control.clear_requests()

    assert [r.path for r in mine] == ["/api/v1/workflows"]
    assert {r.path for r in everything} == {"/api/v1/workflows", "/api/v1/nodes"}
    assert [r.workspace_id for r in everything if r.path == "/api/v1/nodes"] == [None]
    assert workspace.control.requests() == []


def test_faults_can_be_listed_and_cleared(workspace: EmulatorWorkspace) -> None:
    fault_id = workspace.add_fault(kind="reset", method="delete")

    [armed] = workspace.control.faults()
    workspace.control.clear_faults()

    assert armed.id == fault_id
    assert armed.rule.method == "DELETE"
    assert armed.rule.workspace_id == workspace.workspace_id
    assert workspace.control.faults() == []


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "explode"},
        {"kind": "status", "status": 200},
        {"kind": "latency"},
        {"kind": "reset", "status": 500},
        {"kind": "status", "path": "("},
        {"kind": "status", "retry_after": "soon"},
        {"kind": "status", "nth": 0},
        {"kind": "status", "colour": "red"},
    ],
)
def test_invalid_fault_rules_are_refused_by_the_control_endpoint(
    workspace: EmulatorWorkspace, rule: dict[str, Any]
) -> None:
    with httpx.Client(base_url=workspace.base_url) as client:
        response = client.post("/_emulator/faults", json=rule)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_server_without_a_reachable_transport_degrades_reset_to_502() -> None:
    from onepin_sync.emulator.app import create_app
    from onepin_sync.emulator.options import EmulatorOptions

    app = create_app(EmulatorOptions(faults=(FaultRule(kind="reset"),)))
    sent: list[MutableMapping[str, Any]] = []
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/workflows",
        "query_string": b"",
        "headers": [],
    }

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:  # no __self__.transport
        sent.append(message)

    try:
        asyncio.run(app(scope, receive, send))
        [record] = app.state.log.records()
    finally:
        app.close()

    assert sent[0]["status"] == 502
    assert record.fault == "reset,reset-unsupported"
