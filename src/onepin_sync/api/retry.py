"""When a failed request is retried, and how long to wait before the next attempt.

The policy by kind of request (DESIGN.md, "Plan and apply"):

    kind    requests                          retried on
    READ    GET, POST /workflows/validate     connect errors, timeouts, resets, remote protocol
                                              errors; 429, 500, 502, 503, 504
    WRITE   PATCH, DELETE                     the same, except 500
    CREATE  POST /workflows                   only what certainly never reached the server:
                                              ConnectError, ConnectTimeout, PoolTimeout

A server certificate that fails TLS verification is never retried, whatever the kind.

Any other failure of a CREATE after it was sent is ambiguous: the caller must look for the
workflow it may have created rather than send it again. A reset, a read or write timeout or a
5xx may still be processing; a 408, 409 or 429 was answered (`ANSWERED_STATUSES`): once a
listing shows it made nothing, it may be sent again.

Waits: the server's `Retry-After` when present (delta-seconds or HTTP-date), else its
`X-RateLimit-Reset` (Unix time, as the official SDK reads it), capped at 60 s; otherwise
full-jitter exponential backoff, `random() * min(30, 0.5 * 2**retry)`. A 429 does not use up a
request's retries while the run has a deadline to bound them (`session.py`). `rate_hint` reads
the `X-RateLimit-Limit` / `-Remaining` headers a server may send, for the pacer (`limiter.py`).

Pure: no IO, clock or sleeping. Imports httpx and ssl only for their exception and header types.
"""

from __future__ import annotations

import re
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum

import httpx

from onepin_sync.api.limiter import NO_HINT, RateHint

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 60.0


class RequestKind(Enum):
    READ = "read"  # changes nothing on the server
    WRITE = "write"  # idempotent change: PATCH sets fields, DELETE of a gone id is a 404
    CREATE = "create"  # not idempotent: a second POST makes a second workflow


_STATUSES: dict[RequestKind, frozenset[int]] = {
    RequestKind.READ: frozenset({429, 500, 502, 503, 504}),
    RequestKind.WRITE: frozenset({429, 502, 503, 504}),
    RequestKind.CREATE: frozenset(),  # never re-sent blindly: see ANSWERED_STATUSES
}

ANSWERED_STATUSES = frozenset({408, 409, 429})
"""Refusals of a CREATE the server finished with: a listing afterwards tells what it made."""

_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures that happen before a single byte of the request left this process."""

_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
"""Failures worth another attempt: timeouts, connect errors, resets, a server breaking HTTP."""


def retryable_status(kind: RequestKind, status: int) -> bool:
    return status in _STATUSES[kind]


def retryable_exception(kind: RequestKind, exc: httpx.RequestError) -> bool:
    if certificate_rejected(exc):
        return False
    if kind is RequestKind.CREATE:
        return certainly_unsent(exc)
    return isinstance(exc, _TRANSIENT)


def certificate_rejected(exc: BaseException) -> bool:
    """True when TLS verification refused the server's certificate: another try is refused too."""
    cause: BaseException | None = exc
    for _ in range(8):  # httpx -> httpcore -> ssl; never loop on a cyclic chain
        if cause is None:
            return False
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def certainly_unsent(exc: httpx.RequestError) -> bool:
    """True when the request cannot have reached the server (no connection was ever made)."""
    return isinstance(exc, _UNSENT)


def backoff_delay(retry: int, random_value: float) -> float:
    """Full-jitter exponential backoff before retry number `retry` (0 for the first retry)."""
    return random_value * min(BACKOFF_CAP, BACKOFF_BASE * 2.0**retry)


_DELTA_SECONDS = re.compile(r"\d+(\.\d+)?")


def retry_after_delay(headers: httpx.Headers, *, now: datetime) -> float | None:
    """Seconds the server asked us to wait, capped at 60 s; None when absent or unreadable.

    An HTTP-date is measured against the response's own `Date` header when it has one (so a
    skewed local clock does not matter), else against `now`. A date in the past means 0.
    """
    value = headers.get("retry-after", "").strip()
    if not value:
        return _reset_delay(headers, now=now)
    if _DELTA_SECONDS.fullmatch(value):
        seconds = float(value)
    else:
        when = _http_date(value)
        if when is None:
            return None
        seconds = (when - (_http_date(headers.get("date", "")) or now)).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def _reset_delay(headers: httpx.Headers, *, now: datetime) -> float | None:
    """Seconds until `X-RateLimit-Reset` (Unix time), capped at 60 s; None when absent."""
    reset = _number(headers.get("x-ratelimit-reset"))
    if reset is None:
        return None
    served = _http_date(headers.get("date", "")) or now
    return min(max(reset - served.timestamp(), 0.0), RETRY_AFTER_CAP)


def rate_hint(headers: httpx.Headers) -> RateHint:
    """The key's allowance as `X-RateLimit-Limit` (per minute) and `-Remaining` state it."""
    per_minute = _number(headers.get("x-ratelimit-limit"))
    if per_minute is None:
        return NO_HINT
    return RateHint(per_minute=per_minute, remaining=_number(headers.get("x-ratelimit-remaining")))


def _number(value: str | None) -> float | None:
    if value is None or not _DELTA_SECONDS.fullmatch(value.strip()):
        return None
    return float(value)


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
