"""`EmulatorOptions`: everything one emulator is built from, shared by `serve`, the embedded server
and `create_app`.

The options are checked when they are made, so a malformed `--api-key` spec, an unknown profile
or a negative latency fails in the caller's thread with an `EmulatorError`, before any server or
database exists.
Standard library only at import time (the CLI builds options without the `[emulator]` extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from onepin_sync.emulator.errors import EmulatorError
from onepin_sync.emulator.keys import ApiKey, parse_key_spec
from onepin_sync.emulator.profiles import DEFAULT_PROFILE, ServerProfile, profile_named

if TYPE_CHECKING:
    from onepin_sync.emulator.faults import FaultRule


@dataclass(frozen=True, slots=True)
class EmulatorOptions:
    """How to build one emulator.

    `db_path`: a SQLite file (created with its folder) or `:memory:` for a private one;
    `control`: mount `/_emulator/`; `api_keys`: `KEY[:WORKSPACE[:SCOPES]]` specs accepted besides
    the default dev key; `rate_limit_per_min`: the per-key token bucket (None: off), which
    `rate_limit_spent` starts empty and `rate_limit_headers` describes in `X-RateLimit-*`
    headers on every answer;
    `latency_ms`: added to every API request; `faults`: armed from the start; `profile`: which
    Onepin to play, `current` (today's, the default) or `next` (see `profiles.py`).
    """

    db_path: str | Path = ":memory:"
    control: bool = False
    api_keys: tuple[str, ...] = ()
    rate_limit_per_min: int | None = None
    rate_limit_spent: bool = False
    rate_limit_headers: bool = False
    latency_ms: float = 0.0
    faults: tuple[FaultRule, ...] = ()
    profile: str = DEFAULT_PROFILE

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_keys", tuple(self.api_keys))
        object.__setattr__(self, "faults", tuple(self.faults))
        self.extra_keys()  # a malformed spec fails here, not in the server thread
        if self.rate_limit_per_min is not None and self.rate_limit_per_min < 1:
            raise EmulatorError("a rate limit needs at least 1 request per minute")
        if (self.rate_limit_spent or self.rate_limit_headers) and self.rate_limit_per_min is None:
            raise EmulatorError("a spent bucket or rate-limit headers need a rate limit per minute")
        if self.latency_ms < 0:
            raise EmulatorError(f"latency must not be negative (got {self.latency_ms} ms)")
        self.server_profile()

    def server_profile(self) -> ServerProfile:
        """The profile `profile` names (EmulatorError for an unknown name)."""
        return profile_named(self.profile)

    def extra_keys(self) -> tuple[ApiKey, ...]:
        """The keys `api_keys` describe (EmulatorError for a malformed spec)."""
        return tuple(parse_key_spec(spec) for spec in self.api_keys)
