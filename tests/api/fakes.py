"""Fakes for the client tests: a fake clock, scripted and stateful fake servers, a harness.

Everything runs in-process through `httpx.MockTransport`; the client's `sleep` and `clock` are the
fake clock's, so no test waits for real. Servers yield to the event loop a few times per request so
concurrent requests really overlap and `max_in_flight` means something.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs

import httpx

from onepin_sync.api.client import OnepinClient, SessionOptions

API_KEY = "op_live_S3cretKeyValue0123456789abcdefXY"
BASE_URL = "https://api.onepin.test"
WORKFLOWS = "/api/v1/workflows"

T = TypeVar("T")
Reply = httpx.Response | Exception


class FakeClock:
    """Monotonic time that only moves when the client sleeps; records every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"data": data, "meta": {"request_id": "01JOK", "timestamp": "2030-01-01T00:00:00Z"}}
    return httpx.Response(status, json=body, headers=headers)


def fail(
    status: int,
    code: str | None = None,
    message: str = "",
    *,
    details: list[dict[str, Any]] | None = None,
    request_id: str | None = "01JREQ",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """An error response in the API's own envelope."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    body = {"error": error, "meta": {"request_id": request_id, "timestamp": "2030-01-01T00:00:00Z"}}
    return httpx.Response(status, json=body, headers=headers)


def workflow_item(
    index: int,
    *,
    name: str | None = None,
    definition: dict[str, Any] | None = None,
    created_at: str = "2030-01-01T00:00:00Z",
) -> dict[str, Any]:
    """A list item / WorkflowOut as the API sends it, extra fields included."""
    return {
        "id": f"00000000-0000-0000-0000-{index:012d}",
        "user_id": "user-1",
        "name": name if name is not None else f"workflow {index}",
        "name_source": "user",
        "description": None,
        "definition": definition
        if definition is not None
        else {"graph": {"nodes": [], "edges": []}},
        "created_at": created_at,
        "updated_at": created_at,
        "runs_count": 0,
        "last_run_at": None,
        "run_status_counts": {"pending": 0, "running": 0, "completed": 0},
    }


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


def target_of(request: httpx.Request) -> str:
    """Path and query of a request, as the client logs it."""
    return request.url.raw_path.decode()


class ScriptedServer:
    """Answers each request with the next reply of a script (a response, or an exception raised)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        await asyncio.sleep(0)
        if not self.replies:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


class FakeWorkspace:
    """Serves `GET /workflows` pages from a list, like the API (offset/limit, counted pagination).

    `before_page(offset)` runs before each page is cut, so a test can change the workspace while
    a listing is being read. `page_cap` lowers the largest page served. Tracks how many requests
    are in flight at once.
    """

    def __init__(self, count: int = 0, *, page_cap: int = 100) -> None:
        self.workflows = [workflow_item(i) for i in range(count)]
        self.page_cap = page_cap
        self.requests: list[httpx.Request] = []
        self.before_page: Callable[[int], None] | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self.events: list[tuple[str, int]] = []  # ("start" | "end", offset)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", 20)), self.page_cap)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.events.append(("start", offset))
        try:
            for _ in range(5):
                await asyncio.sleep(0)
            if self.before_page is not None:
                self.before_page(offset)
            items = self.workflows[offset : offset + limit]
            body = {
                "data": items,
                "meta": {"request_id": "01JLIST", "timestamp": "2030-01-01T00:00:00Z"},
                "pagination": {"limit": limit, "total": len(self.workflows), "next": None},
            }
            return httpx.Response(200, json=body)
        finally:
            self.in_flight -= 1
            self.events.append(("end", offset))


@dataclass
class Harness:
    """Runs one client session against a fake server and keeps what it observed."""

    server: Callable[[httpx.Request], Awaitable[httpx.Response]]
    settings: dict[str, Any] = field(default_factory=dict)
    random_value: float = 0.5
    clock: FakeClock = field(default_factory=FakeClock)
    lines: list[str] = field(default_factory=list)
    requests_sent: int = 0
    client_repr: str = ""

    def run(self, action: Callable[[OnepinClient], Awaitable[T]]) -> T:
        settings = SessionOptions(**{"base_url": BASE_URL, "api_key": API_KEY, **self.settings})

        async def session() -> T:
            client = OnepinClient(
                settings,
                sleep=self.clock.sleep,
                clock=self.clock,
                random=lambda: self.random_value,
                transport=httpx.MockTransport(self.server),
                log=self.lines.append,
            )
            try:
                async with client:
                    return await action(client)
            finally:
                self.requests_sent = client.requests_sent
                self.client_repr = repr(client)

        return asyncio.run(session())
