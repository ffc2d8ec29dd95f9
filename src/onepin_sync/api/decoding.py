"""Reading Onepin response bodies: the `data` of a success envelope, and what an error body says.

Error bodies come in several shapes (reference §7.1), all reduced to one `ErrorBody`:
- the API's envelope `{"error": {"code", "message", "details"?}, "meta": {"request_id"}}`;
- a flat `{"code", "message"}`, or `{"error": "text"}`;
- FastAPI's `{"detail": [{"loc", "msg"}, ...]}` or `{"detail": "text"}`;
- anything else (an HTML page from a proxy, plain text): its first line of text, or nothing.
Validation details become one line, `field: message; field: message`, which replaces the
generic top-level message. Imports httpx for the response type only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from onepin_sync.core.models import Json

MAX_DETAILS = 5
MAX_TEXT = 200
_INTERN_MAX = 64  # string values up to this length are interned


@dataclass(frozen=True, slots=True)
class ErrorBody:
    code: str | None
    message: str
    request_id: str | None


class NotAnEnvelope(ValueError):
    """A 2xx body that is not `{"data": ..., "meta": ...}` JSON."""


def read_envelope(response: httpx.Response) -> Mapping[str, Json]:
    """The whole success envelope (`data`, `meta`, and `pagination` for lists).

    Short string values are interned as the body is decoded (the decoder already shares keys):
    a listing repeats the same node types, ports and ids in every workflow, and 10,000 listed
    workflows hold ~60 MB less this way.
    """
    try:
        body = response.json(object_hook=_share_short_strings)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        raise NotAnEnvelope("the body is not JSON") from exc
    if not isinstance(body, Mapping) or "data" not in body:
        raise NotAnEnvelope("the body has no 'data'")
    return body


def _share_short_strings(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` (a freshly decoded JSON object) with one shared copy of each short string value."""
    for key, value in obj.items():
        if type(value) is str and len(value) <= _INTERN_MAX:
            obj[key] = sys.intern(value)
    return obj


def read_error(response: httpx.Response) -> ErrorBody:
    """What an error response says, whatever shape its body has."""
    header_id = response.headers.get("x-request-id")
    try:
        body: Any = response.json()
    except ValueError:
        return ErrorBody(None, _text(response), header_id)
    if not isinstance(body, Mapping):
        return ErrorBody(None, "", header_id)
    error = body.get("error")
    source: Mapping[str, Any] = error if isinstance(error, Mapping) else body
    meta = body.get("meta")
    request_id = meta.get("request_id") if isinstance(meta, Mapping) else None
    request_id = request_id or body.get("request_id") or header_id
    code = source.get("code")
    message = _one_line(str(error if isinstance(error, str) else source.get("message") or ""))
    details = _envelope_details(source.get("details"))
    if "detail" in body and not isinstance(error, Mapping):
        details = _fastapi_detail(body["detail"])
    return ErrorBody(
        code=str(code) if code else None,
        message=details or message,
        request_id=str(request_id) if request_id else None,
    )


def _envelope_details(details: Any) -> str:
    if not isinstance(details, Sequence) or isinstance(details, str):
        return ""
    parts = []
    for item in details:
        if isinstance(item, Mapping):
            parts.append(_field_message(item.get("field"), item.get("message")))
        else:
            parts.append(_one_line(str(item)))
    return _join(parts)


def _fastapi_detail(detail: Any) -> str:
    if isinstance(detail, str):
        return _one_line(detail)
    if not isinstance(detail, Sequence):
        return ""
    parts = []
    for item in detail:
        if isinstance(item, Mapping):
            parts.append(_field_message(_field_path(item.get("loc")), item.get("msg")))
    return _join(parts)


def _field_path(loc: Any) -> str:
    """FastAPI's `["body", "definition", "graph", "edges", 0, "sourcePort"]` as a display path."""
    if not isinstance(loc, Sequence) or isinstance(loc, str):
        return ""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f"{'.' if path else ''}{part}"
    return path


def _field_message(field: Any, message: Any) -> str:
    text = _one_line(str(message or "invalid"))
    return f"{field}: {text}" if field else text


def _join(parts: list[str]) -> str:
    shown = "; ".join(parts[:MAX_DETAILS])
    if len(parts) > MAX_DETAILS:
        shown += f"; and {len(parts) - MAX_DETAILS} more"
    return shown


def _text(response: httpx.Response) -> str:
    """The first line of a short non-JSON body; nothing for HTML (a proxy's error page)."""
    content_type = response.headers.get("content-type", "")
    if "html" in content_type:
        return ""
    try:
        text = response.content.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    lines = text.strip().splitlines()
    return _one_line(lines[0]) if lines else ""


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_TEXT else line[: MAX_TEXT - 1] + "…"


def encode_json(body: Json) -> bytes:
    """Compact JSON for a request body; read-only mappings (frozen models) are sent as objects."""

    def plain(value: object) -> object:
        if isinstance(value, Mapping):
            return dict(value)
        raise TypeError(f"{type(value).__name__} is not JSON")

    return json.dumps(
        body, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=plain
    ).encode()
