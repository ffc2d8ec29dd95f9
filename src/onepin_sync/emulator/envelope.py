"""The response envelopes of the Onepin API, and the error every route raises to produce one.

    success: {"data": ..., "meta": {"request_id", "timestamp"}[, "pagination": {...}]}
    error:   {"error": {"code", "message"[, "details": [{"field", "message"}]]}, "meta": {...}}

`details` is present on every 422 (and only where a field can be named). Timestamps are ISO-8601
UTC with microseconds and a `Z`; request ids are ULIDs. Pure: standard library only (no FastAPI),
so the traffic layer can answer with the same envelope before any route runs.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from onepin_sync.emulator import clock

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

_CODE_BY_STATUS: Mapping[int, str] = {
    400: "BAD_REQUEST",
    401: "INVALID_API_KEY",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
}

_LOCATION_KINDS = frozenset({"body", "query", "path", "header", "cookie"})


def format_timestamp(moment: datetime) -> str:
    """`2025-01-31T12:00:00.000000Z`: fixed width, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """Inverse of `format_timestamp`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def new_request_id() -> str:
    """A ULID: 48-bit millisecond time + 80 random bits, Crockford base32 (26 characters)."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -5, -5))


def meta() -> dict[str, str]:
    """A fresh `meta` object for one response."""
    return {"request_id": new_request_id(), "timestamp": format_timestamp(clock.now())}


def code_for_status(status: int) -> str:
    """The error code the real API (and the official CLI's fallback table) uses for a status."""
    return _CODE_BY_STATUS.get(status, "SERVER_ERROR" if status >= 500 else "BAD_REQUEST")


def format_field(location: Sequence[str | int]) -> str:
    """A readable field path from a FastAPI/pydantic error location.

    `("body", "definition", "graph", "nodes", 0, "id")` -> `definition.graph.nodes[0].id`;
    `("query", "limit")` -> `limit`; a location naming only the body -> `body`.
    """
    parts = list(location)
    if parts and parts[0] in _LOCATION_KINDS and len(parts) > 1 and isinstance(parts[1], str):
        parts = parts[1:]
    elif parts and parts[0] in _LOCATION_KINDS:
        return str(parts[0])
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One entry of `error.details`."""

    field: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ApiProblem(Exception):
    """Raised by a route to answer with the error envelope; `code` defaults from the status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or code_for_status(status)
        self.details = tuple(details)
        self.headers = dict(headers or {})


def validation_problem(details: Sequence[FieldError], message: str = "") -> ApiProblem:
    """A 422 `VALIDATION_ERROR` listing every field problem."""
    summary = message or "; ".join(f"{d.field}: {d.message}" for d in details[:3])
    if len(details) > 3:
        summary += f" (and {len(details) - 3} more)"
    return ApiProblem(422, summary or "Request validation failed.", details=tuple(details))


def error_body(
    code: str, message: str, details: Sequence[FieldError] | None = None
) -> dict[str, Any]:
    """The error envelope as a JSON value."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = [d.to_json() for d in details]
    return {"error": error, "meta": meta()}


def success_body(data: Any, pagination: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The success envelope as a JSON value."""
    body: dict[str, Any] = {"data": data, "meta": meta()}
    if pagination is not None:
        body["pagination"] = dict(pagination)
    return body
