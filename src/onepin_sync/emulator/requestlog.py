"""The request log: one record per API request served, for tests and benchmarks to count.

Control requests (`/_emulator/...`) are never logged. The log keeps the most recent
`MAX_RECORDS` records; `seq` keeps increasing across clears, so it also orders records.
Standard library only; used from the server's event loop only.
"""

from __future__ import annotations

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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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
