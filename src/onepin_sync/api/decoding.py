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
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from onepin_sync.core.fingerprint import listed_digest
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


def read_envelope(response: httpx.Response, *, share_strings: bool = False) -> Mapping[str, Json]:
    """The whole success envelope (`data`, `meta`, and `pagination` for lists).

    With `share_strings`, short string values are interned as the body is decoded (the decoder
    already shares keys): a listing repeats the same node types, ports and ids in every
    workflow, and 10,000 listed workflows held whole take ~60 MB less this way. It costs a
    third more time to decode, so only listings that are held whole ask for it.
    """
    try:
        body = response.json(object_hook=_share_short_strings if share_strings else None)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        raise NotAnEnvelope("the body is not JSON") from exc
    except RecursionError:  # nested deeper than the decoder goes: no envelope
        raise NotAnEnvelope("the body is not JSON (nested too deeply)") from None
    if not isinstance(body, Mapping) or "data" not in body:
        raise NotAnEnvelope("the body has no 'data'")
    return body


def read_listing(
    response: httpx.Response, *, share_strings: bool = False
) -> tuple[Mapping[str, Json], list[str | None]]:
    """A listing page's envelope, as `read_envelope` reads it, and for each item of its `data`
    the `fingerprint.listed_digest` of its spec as served (None for an item without a
    definition): taken over the definition's own text in the body, so telling that a listed
    workflow is byte for byte what a lockfile entry recorded costs a hash, not a canonical form
    (`core/settled.py`). Every value is still read by the standard decoder; `share_strings` as
    for `read_envelope`, in the items' definitions.
    """
    digests: list[str | None] = []
    scan = _SCAN_SHARING if share_strings else _SCAN

    def member(key: str, at: int, text: str) -> tuple[Any, int] | None:
        if key != "data":
            return None
        digests.clear()  # a body saying `data` twice means its last, as the decoder reads it
        return _data(text, at, digests, scan)

    try:
        text = response.content.decode("utf-8-sig")  # as the decoder takes bytes
        body, end = _value(text, 0, member)
        if text[end:].strip(_SPACES):
            raise ValueError("extra data after the body")
    except (ValueError, IndexError) as exc:  # also UnicodeDecodeError, and an unclosed body
        raise NotAnEnvelope("the body is not JSON") from exc
    except RecursionError:
        raise NotAnEnvelope("the body is not JSON (nested too deeply)") from None
    if not isinstance(body, Mapping) or "data" not in body:
        raise NotAnEnvelope("the body has no 'data'")
    return body, digests


Scanner = Callable[[str, int], tuple[Any, int]]


def _scanner(decoder: json.JSONDecoder) -> Scanner:
    """The decoder's own scanner (C when the accelerator is there): the value at an index, and
    where it ends; typeshed does not declare it."""
    scan: Scanner = decoder.scan_once  # type: ignore[attr-defined]
    return scan


_SCAN = _scanner(json.JSONDecoder())
_STRING: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
"""A string's value from the text after its opening quote: (value, end), as the decoder reads it."""
_SPACE = re.compile(r"[ \t\n\r]*")
_SPACES = " \t\n\r"
Member = Callable[[str, int, str], tuple[Any, int] | None]
"""Reads the value of an object's member `key` at `text[at]` itself (key, at, text), or gives
None to leave it to the decoder."""


def _skip(text: str, at: int) -> int:
    """`at`, or past the white space that starts there (most bodies have none)."""
    if text[at] in _SPACES:
        found = _SPACE.match(text, at)
        return found.end() if found else at
    return at


def _scan(text: str, at: int, scanner: Scanner = _SCAN) -> tuple[Any, int]:
    try:
        value: tuple[Any, int] = scanner(text, at)
    except StopIteration:
        raise ValueError(f"expected a value at {at}") from None
    return value


def _value(text: str, at: int, member: Member) -> tuple[Any, int]:
    """The JSON value at `text[at]` (after any space) and where it ends; an object's members
    are each offered to `member` first (to keep a span of the text), else decoded."""
    at = _skip(text, at)
    if text[at] != "{":
        return _scan(text, at)
    out: dict[str, Any] = {}
    at = _skip(text, at + 1)
    if text[at] == "}":
        return out, at + 1
    while True:
        if text[at] != '"':
            raise ValueError(f"expected a member name at {at}")
        key, at = _STRING(text, at + 1)
        at = _skip(text, at)
        if text[at] != ":":
            raise ValueError(f"expected ':' at {at}")
        start = _skip(text, at + 1)
        read = member(key, start, text)
        out[key], at = read if read is not None else _scan(text, start)
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
        elif text[at] == "}":
            return out, at + 1
        else:
            raise ValueError(f"expected ',' or '}}' at {at}")


def _item(text: str, at: int, scanner: Scanner) -> tuple[Any, int, str | None]:
    """A listing item at `text[at]`, where it ends, and the text of its `definition` (None: it
    has none, or is no object): `_value` with a member that keeps that text, written out, since
    a listing has thousands of items and a dozen members in each."""
    if text[at] != "{":
        value, at = _scan(text, at, scanner)
        return value, at, None
    out: dict[str, Any] = {}
    definition: str | None = None
    at = _skip(text, at + 1)
    if text[at] == "}":
        return out, at + 1, None
    while True:
        if text[at] != '"':
            raise ValueError(f"expected a member name at {at}")
        key, at = _STRING(text, at + 1)
        if text[at] != ":":
            at = _skip(text, at)
            if text[at] != ":":
                raise ValueError(f"expected ':' at {at}")
        start = _skip(text, at + 1)
        out[key], at = _scan(text, start, scanner)
        if key == "definition":  # a key given twice means its last, as the decoder reads it
            definition = text[start:at]
        if text[at] in _SPACES:
            at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
        elif text[at] == "}":
            return out, at + 1, definition
        else:
            raise ValueError(f"expected ',' or '}}' at {at}")


def _data(
    text: str, at: int, digests: list[str | None], scanner: Scanner
) -> tuple[Any, int] | None:
    """A listing's `data` array at `text[at]`, each item's digest appended to `digests`."""
    if text[at] != "[":
        return None  # not a listing: decoded as it is, and refused by the page check
    items: list[Any] = []
    at = _skip(text, at + 1)
    if text[at] == "]":
        return items, at + 1
    while True:
        item, at, definition = _item(text, _skip(text, at), scanner)
        items.append(item)
        if definition is not None:
            digests.append(listed_digest(item.get("name"), item.get("description"), definition))
        else:
            digests.append(None)
        at = _skip(text, at)
        if text[at] == ",":
            at += 1
        elif text[at] == "]":
            return items, at + 1
        else:
            raise ValueError(f"expected ',' or ']' at {at}")


def _share_short_strings(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` (a freshly decoded JSON object) with one shared copy of each short string value."""
    for key, value in obj.items():
        if type(value) is str and len(value) <= _INTERN_MAX:
            obj[key] = sys.intern(value)
    return obj


_SCAN_SHARING = _scanner(json.JSONDecoder(object_hook=_share_short_strings))
"""`_SCAN`, with one copy of each short string value."""


def read_error(response: httpx.Response) -> ErrorBody:
    """What an error response says, whatever shape its body has."""
    header_id = response.headers.get("x-request-id")
    try:
        body: Any = response.json()
    except (ValueError, RecursionError):
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
