"""Fault rules: what to break, on which requests, how often; and the book that decides per request.

A `FaultRule` is the one schema behind `--fault SPEC`, `EmbeddedEmulator(faults=...)` and
`POST /_emulator/faults`. Kinds:

    status            answer `status` (default 503) with the error envelope; the route never runs.
                      `retry_after` (seconds, or an HTTP-date string) adds `Retry-After`.
    reset             drop the TCP connection (RST) before the route runs: no response at all.
    commit_then_fail  run the route (the write is committed), then answer `status` (default 502)
                      instead of its response, or with `reset: true` drop the connection.
    latency           sleep `seconds`, then serve normally.
    shift             before serving, bump `updated_at` of the least recently updated live
                      workflow of the caller's workspace (pages of the default order shift).

Matchers (all optional, ANDed): `method`, `path` (regex, `re.search` on the URL path),
`body_contains` (substring of the raw body), `workspace_id` (the workspace of the request's key).
Targeting: the rule fires from its `nth` matching request on (1-based), `times` times (0: always).
Several rules may fire on one request: latencies add up, shifts apply, and the first terminal rule
(status, reset, commit_then_fail) in insertion order decides the outcome; a terminal rule whose
turn comes while another terminal rule fires waits for the next matching request.

Imports pydantic and the standard library only (no FastAPI): the CLI parses `--fault` with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from itertools import count
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

FaultKind = Literal["status", "reset", "commit_then_fail", "latency", "shift"]
FAULT_KINDS: tuple[str, ...] = ("status", "reset", "commit_then_fail", "latency", "shift")
TERMINAL_KINDS = frozenset({"status", "reset", "commit_then_fail"})
_DEFAULT_STATUS = {"status": 503, "commit_then_fail": 502}


class FaultRule(BaseModel):
    """One fault to inject (see the module docstring for the semantics)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: FaultKind
    status: int | None = Field(default=None, ge=400, le=599)
    retry_after: int | str | None = None
    reset: bool = False
    seconds: float = Field(default=0.0, ge=0.0, le=300.0)
    method: str | None = None
    path: str | None = None
    body_contains: str | None = None
    workspace_id: str | None = None
    nth: int = Field(default=1, ge=1)
    times: int = Field(default=1, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            kind = data.get("kind")
            if isinstance(kind, str) and data.get("status") is None and kind in _DEFAULT_STATUS:
                data["status"] = _DEFAULT_STATUS[kind]
            if isinstance(data.get("method"), str):
                data["method"] = data["method"].upper()
            if isinstance(data.get("workspace_id"), str):
                data["workspace_id"] = data["workspace_id"].lower()  # as keys report it
        return data

    @model_validator(mode="after")
    def _check_kind_fields(self) -> Self:
        if self.status is not None and self.kind not in _DEFAULT_STATUS:
            raise ValueError(
                f"'status' applies to kinds status and commit_then_fail, not {self.kind}"
            )
        if self.retry_after is not None and self.kind != "status":
            raise ValueError("'retry_after' applies to kind status only")
        if self.reset and self.kind != "commit_then_fail":
            raise ValueError("'reset' applies to kind commit_then_fail only (use kind reset)")
        if self.kind == "latency" and self.seconds <= 0:
            raise ValueError("kind latency needs 'seconds' > 0")
        if self.kind != "latency" and self.seconds:
            raise ValueError("'seconds' applies to kind latency only")
        if self.retry_after is not None:
            retry_after_header(self.retry_after)
        if self.path is not None:
            try:
                re.compile(self.path)
            except re.error as exc:
                raise ValueError(f"'path' is not a valid regex: {exc}") from None
        return self

    @property
    def is_terminal(self) -> bool:
        return self.kind in TERMINAL_KINDS


def retry_after_header(value: int | str) -> str:
    """The `Retry-After` header value: whole seconds, or an HTTP-date kept as given."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError("'retry_after' seconds must be >= 0")
        return str(value)
    text = str(value).strip()
    if text.isdigit():
        return text
    try:
        parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise ValueError(f"'retry_after' {value!r} is neither seconds nor an HTTP-date") from None
    return text


def parse_fault_spec(spec: str) -> FaultRule:
    """Parse a `--fault` value: a JSON object, or comma-separated `key=value` pairs.

    The compact form may start with a bare kind (`reset,method=POST`); without one, `kind=` must
    be given, or `status=` implies kind status (`status=503,method=POST,times=3`). Values are
    converted by the model (`nth=2`, `seconds=0.5`, `reset=true`). Use the JSON form for a path
    regex containing a comma. Raises ValueError with a readable message.
    """
    text = spec.strip()
    if text.startswith("{"):
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"fault {spec!r}: invalid JSON: {exc}") from None
    else:
        data = {}
        for position, token in enumerate(t.strip() for t in text.split(",")):
            if not token:
                continue
            name, has_value, value = token.partition("=")
            if not has_value:
                if position == 0 and token in FAULT_KINDS:
                    data["kind"] = token
                    continue
                raise ValueError(f"fault {spec!r}: expected key=value, got {token!r}")
            data[name.strip()] = value.strip()
        if "kind" not in data and "status" in data:
            data["kind"] = "status"
    try:
        return FaultRule.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'rule'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"fault {spec!r}: {problems}") from None


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What the fault rules want done with one request."""

    delay_seconds: float = 0.0
    shift: bool = False
    terminal: FaultRule | None = None
    fired: tuple[str, ...] = ()  # kinds that fired, in order, for the request log

    @property
    def label(self) -> str | None:
        return ",".join(self.fired) or None


NO_FAULT = FaultDecision()


@dataclass(slots=True)
class _ArmedRule:
    id: str
    rule: FaultRule
    path_pattern: re.Pattern[str] | None
    matched: int = 0
    fired: int = 0

    def matches(self, method: str, path: str, body: bytes, workspace_id: str | None) -> bool:
        rule = self.rule
        if rule.method is not None and rule.method != method:
            return False
        if self.path_pattern is not None and not self.path_pattern.search(path):
            return False
        if rule.body_contains is not None and rule.body_contains.encode() not in body:
            return False
        return rule.workspace_id is None or rule.workspace_id == workspace_id

    @property
    def exhausted(self) -> bool:
        return self.rule.times != 0 and self.fired >= self.rule.times


class FaultBook:
    """The active fault rules and their counters. Used from the server's event loop only."""

    def __init__(self) -> None:
        self._rules: list[_ArmedRule] = []
        self._ids = count(1)

    def add(self, rule: FaultRule) -> str:
        """Arm a rule; returns its id."""
        armed = _ArmedRule(
            id=f"fault-{next(self._ids)}",
            rule=rule,
            path_pattern=re.compile(rule.path) if rule.path is not None else None,
        )
        self._rules.append(armed)
        return armed.id

    def clear(self) -> int:
        """Disarm every rule; returns how many there were."""
        removed = len(self._rules)
        self._rules.clear()
        return removed

    def describe(self) -> list[dict[str, Any]]:
        """Every rule (the `FaultRule`) with its id and counters, for `GET /_emulator/faults`."""
        return [
            {"id": r.id, "rule": r.rule, "matched": r.matched, "fired": r.fired}
            for r in self._rules
        ]

    def decide(
        self, method: str, path: str, body: bytes, workspace_id: str | None
    ) -> FaultDecision:
        """Count the request against every matching rule and collect the rules that fire."""
        if not self._rules:
            return NO_FAULT
        delay = 0.0
        shift = False
        terminal: FaultRule | None = None
        fired: list[str] = []
        for armed in self._rules:
            if not armed.matches(method, path, body, workspace_id):
                continue
            armed.matched += 1
            if armed.matched < armed.rule.nth or armed.exhausted:
                continue
            if armed.rule.is_terminal:
                if terminal is not None:
                    continue  # still eligible: it fires on the next matching request
                terminal = armed.rule
            elif armed.rule.kind == "latency":
                delay += armed.rule.seconds
            else:
                shift = True
            armed.fired += 1
            fired.append(armed.rule.kind)
        if not fired:
            return NO_FAULT
        return FaultDecision(delay, shift, terminal, tuple(fired))
