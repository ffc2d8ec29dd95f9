"""The request log: one record per API request served, for tests and benchmarks to count.

Control requests (`/_emulator/...`) are never logged. The log keeps the most recent
`MAX_RECORDS` records; `seq` keeps increasing across clears, so it also orders records.
Each record carries the Unix time its request arrived (so a benchmark can tell when a 429 came).
Each record also keeps the top-level keys of a JSON object body (never the values), so a test can
check what a write sent without the log holding request content. Standard library only; used from
the server's event loop only.
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import asdict, dataclass
from itertools import count
from typing import Any

MAX_RECORDS = 100_000


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One served request. `status` is None when the connection was dropped without a response."""

    seq: int
    method: str
    path: str
    query: str
    status: int | None
    bytes_in: int
    bytes_out: int
    duration_ms: float
    fault: str | None  # fault kinds that fired ("status", "latency,reset", "rate_limit", ...)
    workspace_id: str | None  # the workspace of the request's API key, if the key is known
    body_keys: tuple[str, ...] | None  # sorted top-level keys of a JSON object body, else None
    received_at: float  # Unix time (seconds) when the request arrived, to the millisecond

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["body_keys"] = None if self.body_keys is None else list(self.body_keys)
        return record


def body_keys(body: bytes) -> tuple[str, ...] | None:
    """The sorted top-level keys of `body` when it is a JSON object; None for anything else."""
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # malformed, undecodable or absurdly nested
        return None
    return tuple(sorted(value)) if isinstance(value, dict) else None


class RequestLog:
    """A bounded, append-only log of served requests."""

    def __init__(self, max_records: int = MAX_RECORDS) -> None:
        self._records: deque[LoggedRequest] = deque(maxlen=max_records)
        self._seq = count(1)

    def append(
        self,
        *,
        method: str,
        path: str,
        query: str,
        status: int | None,
        bytes_in: int,
        bytes_out: int,
        duration_ms: float,
        fault: str | None,
        workspace_id: str | None,
        body_keys: tuple[str, ...] | None = None,
        received_at: float | None = None,
    ) -> None:
        self._records.append(
            LoggedRequest(
                seq=next(self._seq),
                method=method,
                path=path,
                query=query,
                status=status,
                bytes_in=bytes_in,
                bytes_out=bytes_out,
                duration_ms=round(duration_ms, 3),
                fault=fault,
                workspace_id=workspace_id,
                body_keys=body_keys,
                received_at=round(time.time() if received_at is None else received_at, 3),
            )
        )

    def records(self, workspace_id: str | None = None) -> list[LoggedRequest]:
        """Records in order, optionally only those made with a key of `workspace_id`."""
        if workspace_id is None:
            return list(self._records)
        return [r for r in self._records if r.workspace_id == workspace_id]

    def clear(self) -> int:
        """Forget every record; returns how many there were."""
        removed = len(self._records)
        self._records.clear()
        return removed
