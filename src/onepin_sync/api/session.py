"""One HTTP session per run: the loop every Onepin request goes through.

`ApiSession.send` takes a slot from the adaptive limiter and a turn from the adaptive pacer (which
learns the key's rate from 429s, `Retry-After` and `X-RateLimit-*`; `rps` caps it), sends, logs
one line per attempt, retries by the policy in `retry.py`, and turns every failure into
one of our errors (`errors.py`; error bodies read by `envelope.py`). Redirects are never followed,
so the Authorization header only ever goes to `base_url`; TLS verification is always on. The API
key never appears in a message, a log line or a repr. With a `deadline`, no attempt's timeout
reaches past it, so a run ends on time even when a request hangs. A 429 is waited out by the
pacer, which holds every start until the server's wait has passed, and uses up none of the
request's `max_retries` while a deadline bounds the run (without one, it counts).

All waiting goes through the injected `sleep` and `clock`, all jitter through `random`. Knows
nothing about workflows: that is `client.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from onepin_sync import __version__
from onepin_sync.api.decoding import encode_json, read_error
from onepin_sync.api.limiter import NO_HINT, AdaptiveLimiter, AdaptivePacer, Feedback, Slot
from onepin_sync.api.retry import (
    ANSWERED_STATUSES,
    RequestKind,
    backoff_delay,
    certainly_unsent,
    rate_hint,
    retry_after_delay,
    retryable_exception,
    retryable_status,
)
from onepin_sync.core.models import Json
from onepin_sync.core.redact import Redactor
from onepin_sync.errors import (
    AmbiguousCreateError,
    ApiError,
    AuthError,
    InputError,
    NotFoundError,
    NotSentError,
    TransportError,
)

_HINTS = {
    401: "; the API key is missing, invalid or revoked",
    403: "; the API key lacks a scope (workflows:read / workflows:write) or the workspace is wrong",
}


@dataclass(frozen=True)
class SessionOptions:
    """How to reach Onepin and how hard to push it."""

    base_url: str  # https://api.onepin.ai; a path prefix is kept: rstrip('/') + '/api/v1/...'
    api_key: str = field(repr=False)
    workspace_id: str | None = None  # sent as X-Workspace-Id when set
    timeout: float = 30.0  # seconds per request
    deadline: float | None = None  # seconds for the whole run; retries never wait past it
    parallelism: int = 8  # requests in flight at most
    rps: float | None = None  # attempts started per second at most
    max_retries: int = 5

    def __post_init__(self) -> None:
        url = urlsplit(self.base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise InputError(f"the API base URL must be http(s)://host[:port]: {self.base_url!r}")
        if self.parallelism < 1 or self.max_retries < 0 or self.timeout <= 0:
            raise InputError("parallelism must be >= 1, max_retries >= 0 and timeout > 0")
        for name, value in (("rps", self.rps), ("deadline", self.deadline)):
            if value is not None and value <= 0:
                raise InputError(f"{name} must be positive when set")


class ApiSession:
    """Sends requests with retries, bounded and adaptive concurrency, and clean errors."""

    def __init__(
        self,
        settings: SessionOptions,
        *,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
        random: Callable[[], float],
        transport: httpx.AsyncBaseTransport | None,
        log: Callable[[str], None] | None,
        secrets: Iterable[str] = (),
    ) -> None:
        self._settings = settings
        self._redactor = Redactor([settings.api_key, *secrets])
        self._sleep = sleep
        self._clock = clock
        self._random = random
        self._transport = transport
        self._log = log
        self._limiter = AdaptiveLimiter(settings.parallelism)
        self._pacer = AdaptivePacer(settings.rps, clock=clock, sleep=sleep)
        self._deadline_at = None if settings.deadline is None else clock() + settings.deadline
        self._http: httpx.AsyncClient | None = None
        self._requests_sent = 0
        self._server_offset = timedelta(0)  # server clock minus ours, from `Date` headers
        self._stopping = False  # `stop_starting` was called
        self._waiting: set[asyncio.Task[Any]] = set()  # attempts waiting for a slot or a turn

    @property
    def requests_sent(self) -> int:
        return self._requests_sent

    def stop_starting(self) -> None:
        """From now on no request starts: each attempt waiting for its limiter slot or pacer
        turn (a paced run may hold many for minutes) and each later one raises NotSentError,
        or its last failure when it was a retry; the requests in flight go on."""
        self._stopping = True
        for task in self._waiting:
            task.cancel()

    def server_now(self) -> datetime:
        """The server's clock now, as its last `Date` header showed it (ours before any).

        The header has one-second resolution and is read when the response arrives, so this
        errs early by up to a second plus the latency: safe for "created no earlier than".
        """
        return datetime.now(UTC) + self._server_offset

    async def open(self) -> None:
        headers = {
            "Authorization": f"Bearer {self._settings.api_key}",
            "User-Agent": f"onepin-sync/{__version__}",
            "Accept": "application/json",
        }
        if self._settings.workspace_id:
            headers["X-Workspace-Id"] = self._settings.workspace_id
        slots = self._settings.parallelism
        # Every request goes to the base URL and redirects are not followed, so a plain-HTTP
        # base URL (the emulator, a proxy on loopback) never opens TLS: building a TLS context
        # for it (loading the CA bundle, 30-60 ms at every start) would be wasted.
        tls = urlsplit(self._settings.base_url).scheme == "https"
        self._http = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(self._settings.timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=slots, max_keepalive_connections=slots),
            transport=self._transport,
            verify=tls,
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def send(
        self,
        method: str,
        target: str,
        kind: RequestKind,
        *,
        body: Json = None,
        allow_404: bool = False,
        started_at: datetime | None = None,
    ) -> httpx.Response:
        """The 2xx response (or the 404 when allowed), after retries; else one of our errors.

        `target` is the path and query under the base URL. A CREATE needs `started_at` (the
        server's time just before the call, `server_now()`) for the AmbiguousCreateError it may
        raise.
        """
        if self._http is None:
            raise RuntimeError(
                "the session is not open: use OnepinClient as an async context manager"
            )
        if kind is RequestKind.CREATE and started_at is None:
            raise ValueError("a CREATE needs started_at")
        where = f"{method} {target}"
        url = self._settings.base_url.rstrip("/") + target
        content, headers = _encoded(where, body)
        retry = 0  # attempts after the first, for the backoff and the notices
        counted = 0  # retries that used up `max_retries` (a 429 does not, under a deadline)
        failure: _Failure | None = None  # the last attempt's
        while True:
            if self._deadline_at is not None and self._clock() >= self._deadline_at:
                raise ApiError(
                    f"{where}: not sent: the {self._settings.deadline:g} s deadline passed"
                )
            try:
                result, generation = await self._attempt(
                    self._http, method, url, where, content, headers
                )
            except NotSentError:
                if failure is None:
                    raise
                note = "not sent again: the run is stopping"
                raise _with_note(failure.error, note) from failure.cause
            throttled = isinstance(result, httpx.Response) and result.status_code == 429
            delay = self._delay(retry, result)
            self._pacer.feedback(
                generation,
                _feedback(result),
                wait=delay if throttled else None,
                hint=rate_hint(result.headers) if isinstance(result, httpx.Response) else NO_HINT,
            )
            if isinstance(result, httpx.Response):
                status = result.status_code
                if 200 <= status < 300 or (status == 404 and allow_404):
                    return result
            failure = self._failure(kind, where, result)
            if kind is RequestKind.CREATE and failure.ambiguous and started_at is not None:
                raise self._ambiguous(failure, started_at, delay) from failure.cause
            if not failure.retryable:
                raise failure.error from failure.cause
            free = throttled and self._deadline_at is not None
            if not free and counted >= self._settings.max_retries:
                note = f"gave up after {retry + 1} attempt{'s' if retry else ''}"
                raise _with_note(failure.error, note) from failure.cause
            if self._deadline_at is not None and self._clock() + delay > self._deadline_at:
                note = f"gave up: the {self._settings.deadline:g} s deadline was reached"
                raise _with_note(failure.error, note) from failure.cause
            self.emit(self._retry_notice(where, failure.reason, delay, counted, free))
            if not throttled:  # a 429's wait is the pacer's: it holds every start until then
                await self._sleep(delay)
            counted += 0 if free else 1
            retry += 1

    def _retry_notice(self, where: str, reason: str, delay: float, counted: int, free: bool) -> str:
        if free:
            return f"{where}: {reason}; rate limited, sent again in {delay:.2f} s (not a retry)"
        of = self._settings.max_retries
        return f"{where}: {reason}; retry {counted + 1} of {of} in {delay:.2f} s"

    def _ambiguous(
        self, failure: _Failure, started_at: datetime, delay: float
    ) -> AmbiguousCreateError:
        """A create that may or may not have made a workflow; `answered` when the server
        finished with it (408, 409, 429), with the wait it asked for; `free_resend` for a 429
        the run's deadline leaves time to wait out."""
        answered = failure.error.status in ANSWERED_STATUSES
        free = (
            failure.error.status == 429
            and self._deadline_at is not None
            and self._clock() + delay <= self._deadline_at
        )
        return AmbiguousCreateError(
            f"{failure.error}; the workflow may or may not have been created",
            started_at=started_at,
            status=failure.error.status,
            code=failure.error.code,
            request_id=failure.error.request_id,
            answered=answered,
            retry_after=delay if answered else None,
            free_resend=free,
        )

    def _failure(
        self, kind: RequestKind, where: str, result: httpx.Response | httpx.RequestError
    ) -> _Failure:
        """What went wrong with one attempt, and whether another attempt may help."""
        if isinstance(result, httpx.RequestError):
            return _Failure(
                error=TransportError(self.redact(f"{where}: no response: {_describe(result)}")),
                reason=type(result).__name__,
                retryable=retryable_exception(kind, result),
                ambiguous=not certainly_unsent(result),
                cause=result,
            )
        status = result.status_code
        if 300 <= status < 400:  # never followed: the Authorization header stays with base_url
            error = ApiError(_redirect_message(where, result), status=status)
            return _Failure(error, str(status), retryable=False, ambiguous=False)
        return _Failure(
            error=self._status_error(where, result),
            reason=str(status),
            retryable=retryable_status(kind, status),
            ambiguous=status >= 500 or status in ANSWERED_STATUSES,
        )

    async def _attempt(
        self,
        http: httpx.AsyncClient,
        method: str,
        url: str,
        where: str,
        content: bytes | None,
        headers: dict[str, str] | None,
    ) -> tuple[httpx.Response | httpx.RequestError, int]:
        """One attempt inside a limiter slot and in its pacer turn: the response or the
        transport failure, logged, and the pacer generation it started in."""
        slot, generation = await self._turn(where)
        result: httpx.Response | httpx.RequestError | None = None
        try:
            started = self._clock()
            try:
                result = await http.request(
                    method, url, content=content, headers=headers, timeout=self._timeout(started)
                )
            except httpx.RequestError as exc:
                result = exc
            elapsed_ms = round((self._clock() - started) * 1000)
            if isinstance(result, httpx.Response):
                self._requests_sent += 1
                self._read_server_clock(result)
                self.emit(f"{where} -> {result.status_code} ({elapsed_ms} ms)")
            else:
                if not certainly_unsent(result):
                    self._requests_sent += 1
                self.emit(f"{where} -> {type(result).__name__} ({elapsed_ms} ms)")
            return result, generation
        finally:
            self._limiter.release(slot, Feedback.FAILURE if result is None else _feedback(result))

    async def _turn(self, where: str) -> tuple[Slot, int]:
        """A limiter slot and a pacer turn (its generation); NotSentError once the run stops
        starting requests, before or while it waits."""
        not_sent = NotSentError(f"{where}: not sent: the run is stopping")
        if self._stopping:
            raise not_sent
        task = asyncio.current_task()
        assert task is not None, "requests are sent from tasks"
        self._waiting.add(task)
        slot = None
        try:
            slot = await self._limiter.acquire()
            return slot, await self._pacer.wait()
        except asyncio.CancelledError:
            if slot is not None:
                self._limiter.release(slot, Feedback.FAILURE)
            # Only `stop_starting` cancelled it (not a second interrupt cancelling the write).
            if self._stopping and task.uncancel() == 0:
                raise not_sent from None
            raise
        finally:
            self._waiting.discard(task)

    def _read_server_clock(self, response: httpx.Response) -> None:
        try:
            served = parsedate_to_datetime(response.headers["date"])
        except (KeyError, TypeError, ValueError):
            return
        if served.tzinfo is not None:
            self._server_offset = served - datetime.now(UTC)

    def _timeout(self, now: float) -> httpx.Timeout:
        """The per-request timeout, cut short so that no attempt outlives the run's deadline."""
        seconds = self._settings.timeout
        if self._deadline_at is not None:
            seconds = max(0.001, min(seconds, self._deadline_at - now))
        return httpx.Timeout(seconds)

    def _delay(self, retry: int, result: httpx.Response | httpx.RequestError) -> float:
        if isinstance(result, httpx.Response):
            asked = retry_after_delay(result.headers, now=datetime.now(UTC))
            if asked is not None:
                return asked
        return backoff_delay(retry, self._random())

    def _status_error(self, where: str, response: httpx.Response) -> ApiError:
        status = response.status_code
        body = read_error(response)
        text = f"{where}: {status} {body.code or response.reason_phrase}"
        if body.message and body.message != response.reason_phrase:
            text += f": {body.message}"
        if body.request_id:
            text += f" (request {body.request_id})"
        text = self.redact(text + _HINTS.get(status, ""))
        cls = AuthError if status in (401, 403) else NotFoundError if status == 404 else ApiError
        return cls(text, status=status, code=body.code, request_id=body.request_id)

    def redact(self, text: str) -> str:
        return self._redactor.text(text)

    def emit(self, line: str) -> None:
        """One line to the log callback, if any; never headers, bodies or the key."""
        if self._log is not None:
            self._log(self.redact(line))


@dataclass(frozen=True, slots=True)
class _Failure:
    error: ApiError
    reason: str  # for the retry notice: a status code or an exception name
    retryable: bool
    ambiguous: bool  # a CREATE that failed like this may still have created the workflow
    cause: httpx.RequestError | None = None


def _feedback(result: httpx.Response | httpx.RequestError) -> Feedback:
    """How an attempt went, for the limiter and the pacer."""
    if isinstance(result, httpx.RequestError):
        return Feedback.FAILURE
    if result.status_code == 429:
        return Feedback.THROTTLED
    return Feedback.SUCCESS if result.status_code < 500 else Feedback.FAILURE


def _encoded(where: str, body: Json) -> tuple[bytes | None, dict[str, str] | None]:
    """The request body as JSON bytes with its content type (None, None without a body)."""
    if body is None:
        return None, None
    try:
        content = encode_json(body)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: the request body is not JSON: {exc}") from exc
    return content, {"Content-Type": "application/json"}


def _describe(exc: httpx.RequestError) -> str:
    detail = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _with_note(error: ApiError, note: str) -> ApiError:
    return type(error)(
        f"{error}; {note}", status=error.status, code=error.code, request_id=error.request_id
    )


def _redirect_message(where: str, response: httpx.Response) -> str:
    status = response.status_code
    location = response.headers.get("location")
    if not location:
        return f"{where}: {status} unexpected redirect (not followed)"
    host = response.request.url.join(location).host
    return f"{where}: {status} unexpected redirect to {host} (not followed; check the base URL)"
