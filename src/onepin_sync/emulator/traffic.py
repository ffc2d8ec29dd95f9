"""The outermost ASGI layer: request log, added latency, fault injection and the rate limiter.

Every API request (anything outside `/_emulator/`) passes through `EmulatorApp` in this order:
read the whole body (a client that goes away before it is complete is logged, never served, as a
real server would); wait the fixed latency; ask the fault book what fires (latency rules sleep,
`shift` bumps a workflow); a `status` fault answers at once and a `reset` drops the connection,
neither reaching the rate limiter or the routes; otherwise the key's token bucket is charged (429
`RATE_LIMITED` with `Retry-After` when empty; with rate-limit headers on, the answer describes
the bucket in `X-RateLimit-*`); then the routes run, and for `commit_then_fail` their
response is swallowed and replaced by an error or a dropped connection. Whatever happened is then
appended to the request log.

A connection reset is real: `send` is uvicorn's `RequestResponseCycle.send`, whose `transport` is
the asyncio transport; SO_LINGER (1, 0) plus `abort()` makes the kernel send an RST. If a server
does not expose the transport, the fault degrades to a 502 and the log says `reset-unsupported`.

Pure ASGI (it must be outermost to see uvicorn's own `send`); imports Starlette types only.
"""

import asyncio
import contextlib
import json
import socket
import struct
import time
from dataclasses import dataclass
from email.utils import formatdate

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onepin_sync.emulator.clock import serving
from onepin_sync.emulator.envelope import FieldError, code_for_status, error_body
from onepin_sync.emulator.faults import FaultRule, retry_after_header
from onepin_sync.emulator.keys import ApiKey
from onepin_sync.emulator.requestlog import body_keys
from onepin_sync.emulator.state import EmulatorState

CONTROL_PREFIX = "/_emulator"
"""Where the control endpoint lives; requests under it bypass this layer entirely."""

CLIENT_GONE = "client_disconnected"
"""The log's fault label for a request whose client went away before its body was complete."""


@dataclass(slots=True)
class _Meter:
    """Wraps `send` (kept: `reset_connection` needs uvicorn's own) to remember the status and
    count the body bytes; every response it starts carries the emulator clock's `Date`."""

    send: Send
    date: str
    status: int | None = None
    bytes_out: int = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            headers = [*message.get("headers", []), (b"date", self.date.encode("latin-1"))]
            message = {**message, "headers": headers}
        elif message["type"] == "http.response.body":
            self.bytes_out += len(message.get("body", b""))
        await self.send(message)


def _with_headers(send: Send, headers: dict[str, str]) -> Send:
    """A `send` that adds `headers` to the response it starts."""
    extra = [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()]

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


async def _discard(message: Message) -> None:
    """A `send` that drops the response (commit_then_fail)."""


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request body, and whether it arrived whole (False: the client went away first)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the already-read body to the app, then defers to the server."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def _send_error(
    send: Send, status: int, message: str, headers: dict[str, str] | None = None
) -> None:
    details = [FieldError("body", message)] if status == 422 else None
    payload = json.dumps(error_body(code_for_status(status), message, details)).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})


def reset_connection(send: Send) -> bool:
    """Drop the client's TCP connection with an RST; False if the server hides its transport."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not callable(getattr(transport, "abort", None)):
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    if cycle is not None and hasattr(cycle, "disconnected"):
        cycle.disconnected = True  # so uvicorn does not answer 500 for the silent app
    return True


def _join(label: str | None, extra: str) -> str:
    return f"{label},{extra}" if label else extra


class EmulatorApp:
    """The ASGI application uvicorn runs: the traffic layer around the FastAPI routes."""

    def __init__(self, api: ASGIApp, state: EmulatorState) -> None:
        self.api = api
        self.state = state

    def close(self) -> None:
        """Release the database (also done at lifespan shutdown; idempotent)."""
        self.state.store.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.api(scope, receive, send)
            return
        clock = self.state.clock
        meter = _Meter(send, formatdate(clock.now().timestamp(), usegmt=True))
        with serving(clock):
            if scope["path"].startswith(CONTROL_PREFIX + "/"):
                await self.api(scope, receive, meter)
            else:
                await self._logged(scope, receive, meter)

    async def _logged(self, scope: Scope, receive: Receive, meter: _Meter) -> None:
        """Serve one API request (see the module docstring) and append it to the request log."""
        started, received_at = time.perf_counter(), time.time()
        body, whole = await _read_body(receive)
        key = self.state.keys.authenticate(_header(scope, b"authorization"))
        fault: str | None = None
        try:
            if whole:
                fault = await self._serve(scope, _replay(body, receive), meter, body, key)
            else:  # like a real server: a request cut off mid-body never reaches the routes
                fault = CLIENT_GONE
        finally:
            self.state.log.append(
                method=scope["method"],
                path=scope["path"],
                query=bytes(scope.get("query_string", b"")).decode("latin-1"),
                status=meter.status,
                bytes_in=len(body),
                bytes_out=meter.bytes_out,
                duration_ms=(time.perf_counter() - started) * 1000.0,
                fault=fault,
                workspace_id=key.workspace_id if key is not None else None,
                body_keys=body_keys(body),
                received_at=received_at,
            )

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        meter: _Meter,
        body: bytes,
        key: ApiKey | None,
    ) -> str | None:
        """Serve one API request; returns the fault label for the log."""
        state = self.state
        workspace_id = key.workspace_id if key is not None else None
        if state.latency_seconds > 0:
            await asyncio.sleep(state.latency_seconds)
        decision = state.faults.decide(scope["method"], scope["path"], body, workspace_id)
        label = decision.label
        if decision.delay_seconds > 0:
            await asyncio.sleep(decision.delay_seconds)
        if decision.shift and workspace_id is not None:
            state.store.touch_least_recent(workspace_id)
        rule = decision.terminal
        if rule is not None and rule.kind == "status":
            await self._answer_fault(meter, rule)
            return label
        if rule is not None and rule.kind == "reset":
            if not reset_connection(meter.send):
                await _send_error(meter, 502, "Injected fault: connection reset (unsupported).")
                return _join(label, "reset-unsupported")
            return label
        send: Send = meter
        if state.limiter is not None and key is not None:
            wait = state.limiter.acquire(key.key)
            limit_headers = state.limiter.headers(key.key)
            if wait is not None:
                limit = state.limiter.per_minute
                message = f"Rate limit of {limit} requests per minute exceeded."
                headers = {"Retry-After": str(wait), **limit_headers}
                await _send_error(meter, 429, message, headers)
                return _join(label, "rate_limit")
            if limit_headers:
                send = _with_headers(meter, limit_headers)
        if rule is None:
            await self.api(scope, receive, send)
            return label
        await self.api(scope, receive, _discard)  # commit_then_fail: the write is stored
        if rule.reset and reset_connection(meter.send):
            return label
        await self._answer_fault(meter, rule)
        return label if not rule.reset else _join(label, "reset-unsupported")

    @staticmethod
    async def _answer_fault(send: Send, rule: FaultRule) -> None:
        status = rule.status or 503
        headers = {}
        if rule.retry_after is not None:
            headers["Retry-After"] = retry_after_header(rule.retry_after)
        await _send_error(
            send, status, f"Injected fault: HTTP {status} from the emulator.", headers
        )
