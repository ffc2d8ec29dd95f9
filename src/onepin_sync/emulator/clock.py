"""The emulator's clock: the machine's UTC time plus an offset that only ever moves forward.

Every time the emulator shows comes from the clock of the app serving the request: workflow
timestamps, `meta.timestamp`, the `Date` header (which clients read as the server's time) and
`X-RateLimit-Reset`; the request log, which the API never shows, keeps the machine's time. The
control endpoint moves it forward (`POST /_emulator/clock`), so a test can let the server's
minutes pass at once (an unanswered create settles `SETTLE_AFTER` past its sending, by the
server's clock) instead of sleeping through them. Imports no FastAPI.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta


class EmulatorClock:
    """One emulator's time."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        """Move the time forward by `seconds` (not negative: it never goes back); the new now."""
        if not seconds >= 0:
            raise ValueError(f"the clock only moves forward, not by {seconds} s")
        self._offset += timedelta(seconds=seconds)
        return self.now()


_SERVING: ContextVar[EmulatorClock] = ContextVar("emulator_clock")


@contextmanager
def serving(clock: EmulatorClock) -> Iterator[None]:
    """Within it, `now()` is `clock`'s: the traffic layer wraps each request it serves."""
    token = _SERVING.set(clock)
    try:
        yield
    finally:
        _SERVING.reset(token)


def now() -> datetime:
    """The time of the emulator serving this request (the machine's, outside one)."""
    clock = _SERVING.get(None)
    return clock.now() if clock is not None else datetime.now(UTC)
