"""A small typed client of the emulator's control endpoint (`/_emulator/`, see `control_routes`).

    control = EmulatorControl(emulator.base_url)
    ws = control.new_workspace()                    # fresh key in a fresh, isolated workspace
    control.add_fault(kind="status", status=503, method="POST", workspace_id=ws.workspace_id)
    [r.status for r in control.requests(workspace_id=ws.workspace_id)]
    control.close()

`EmulatorWorkspace` bundles one workspace's key with the control client; the `workspace` test
fixture yields one. The answers parse into the control endpoint's own models (`schemas.py`,
re-exported here). Imports httpx and pydantic only (core dependencies, no FastAPI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx

from onepin_sync.emulator.envelope import parse_timestamp
from onepin_sync.emulator.faults import FaultRule
from onepin_sync.emulator.schemas import (
    ArmedFault,
    ClockOut,
    ProfileOut,
    RequestRecord,
    RunStats,
    WorkspaceKey,
)

__all__ = [
    "ArmedFault",
    "EmulatorControl",
    "EmulatorWorkspace",
    "RequestRecord",
    "RunStats",
    "WorkspaceKey",
]


class EmulatorControl:
    """Drives one emulator's control endpoint. Close it (or use `with`) when done.

    A refused call raises `httpx.HTTPStatusError` (its response carries the error envelope).
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url + "/_emulator", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def new_workspace(self, scopes: Sequence[str] | None = None) -> WorkspaceKey:
        """A new key in a new workspace no other key can see (every scope unless given)."""
        body: dict[str, Any] = {} if scopes is None else {"scopes": list(scopes)}
        return WorkspaceKey.model_validate(self._call("POST", "/keys", json=body))

    def new_key(self, workspace_id: str, scopes: Sequence[str] | None = None) -> WorkspaceKey:
        """Another key for an existing workspace (for example with fewer scopes)."""
        body: dict[str, Any] = {"workspace_id": workspace_id}
        if scopes is not None:
            body["scopes"] = list(scopes)
        return WorkspaceKey.model_validate(self._call("POST", "/keys", json=body))

    def add_fault(self, rule: FaultRule | None = None, /, **fields: Any) -> str:
        """Arm a fault (a FaultRule, or its fields as keywords); returns its id."""
        if rule is None:
            rule = FaultRule.model_validate(fields)
        elif fields:
            rule = FaultRule.model_validate({**rule.model_dump(), **fields})
        payload = rule.model_dump(exclude_defaults=True)
        return str(self._call("POST", "/faults", json=payload)["id"])

    def faults(self) -> list[ArmedFault]:
        return [ArmedFault.model_validate(f) for f in self._call("GET", "/faults")]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def requests(self, workspace_id: str | None = None) -> list[RequestRecord]:
        """The request log, oldest first; only requests made with keys of `workspace_id` if set."""
        params = {} if workspace_id is None else {"workspace_id": workspace_id}
        return [
            RequestRecord.model_validate(r) for r in self._call("GET", "/requests", params=params)
        ]

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def now(self) -> datetime:
        """The server's time now (its clock may be ahead of this machine's: `advance_clock`)."""
        return parse_timestamp(ClockOut.model_validate(self._call("GET", "/clock")).now)

    def advance_clock(self, seconds: float) -> datetime:
        """Let `seconds` of the server's time pass at once; its time now."""
        out = self._call("POST", "/clock", json={"advance_seconds": seconds})
        return parse_timestamp(ClockOut.model_validate(out).now)

    def profile(self) -> str:
        """The profile this server plays (`current` or `next`)."""
        return ProfileOut.model_validate(self._call("GET", "/profile")).profile

    def set_profile(self, profile: str) -> None:
        """Upgrade (or roll back) the server in place to `profile`: every workspace and
        workflow stays as stored, and every later request meets the new release."""
        self._call("PUT", "/profile", json={"profile": profile})

    def record_run(
        self, workflow_id: str, status: str, created_at: datetime | None = None
    ) -> RunStats:
        """Add one run to a workflow's history (drives the list's run filters and statistics)."""
        body: dict[str, Any] = {"status": status}
        if created_at is not None:
            body["created_at"] = created_at.isoformat()
        return RunStats.model_validate(
            self._call("POST", f"/workflows/{workflow_id}/runs", json=body)
        )


@dataclass(frozen=True, slots=True)
class EmulatorWorkspace:
    """One isolated workspace of a running emulator: its URL and key, plus the control client."""

    base_url: str
    api_key: str
    workspace_id: str
    key_id: str
    user_id: str
    control: EmulatorControl

    @property
    def headers(self) -> dict[str, str]:
        """`Authorization` for this workspace's key."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def add_fault(self, rule: FaultRule | None = None, /, **fields: Any) -> str:
        """Arm a fault that only this workspace's requests can trigger."""
        return self.control.add_fault(rule, **{"workspace_id": self.workspace_id, **fields})

    def requests(self) -> list[RequestRecord]:
        """The request log entries made with this workspace's keys."""
        return self.control.requests(workspace_id=self.workspace_id)

    def record_run(
        self, workflow_id: str, status: str, created_at: datetime | None = None
    ) -> RunStats:
        return self.control.record_run(workflow_id, status, created_at)
