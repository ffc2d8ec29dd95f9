"""Everything one running emulator holds: storage, keys, faults, request log, limiter, profile,
clock.

One `EmulatorState` per app, shared by the traffic layer and the routes (which declare it as the
`dependencies.AppState` dependency). It is touched only from the server's event loop thread.
Imports no FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass

from onepin_sync.emulator.clock import EmulatorClock
from onepin_sync.emulator.faults import FaultBook
from onepin_sync.emulator.keys import KeyRing
from onepin_sync.emulator.profiles import CURRENT, ServerProfile
from onepin_sync.emulator.ratelimit import TokenBucketLimiter
from onepin_sync.emulator.requestlog import RequestLog
from onepin_sync.emulator.store import WorkflowStore


@dataclass(slots=True)
class EmulatorState:
    """The shared state of one emulator app."""

    store: WorkflowStore
    keys: KeyRing
    faults: FaultBook
    log: RequestLog
    clock: EmulatorClock  # the one `store` and `limiter` were made with
    limiter: TokenBucketLimiter | None = None
    latency_seconds: float = 0.0
    profile: ServerProfile = CURRENT
