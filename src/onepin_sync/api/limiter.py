"""How many requests the client may have in flight, and how fast it may start them.

`AdaptiveLimiter` bounds concurrency and adapts it to the server: a 429 halves the current limit
(never below 1), and every `recover_after` consecutive successes give one slot back, up to the
configured maximum. A burst of 429s from requests that all started under the same limit halves it
once, not once per request: they report the same overload.

`RequestPacer` is an optional token bucket of one token: attempts start at least `1/rps` apart.

All waiting for time goes through the injected `clock` and `sleep`, so tests run with no real
waiting. Imports nothing from the package.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum


class Feedback(Enum):
    SUCCESS = "success"  # the server handled the request (2xx, 3xx, or a 4xx other than 429)
    THROTTLED = "throttled"  # 429
    FAILURE = "failure"  # 5xx, no response, or cancelled


@dataclass(frozen=True, slots=True)
class Slot:
    """Proof of an acquired slot; remembers the limit's generation when it was granted."""

    generation: int


class AdaptiveLimiter:
    """Slots are handed over first come, first served: a release gives its slot straight to the
    oldest waiter, so a release costs O(1) however many requests wait."""

    def __init__(self, maximum: int, *, recover_after: int = 10) -> None:
        if maximum < 1:
            raise ValueError("maximum must be at least 1")
        self.maximum = maximum
        self.limit = maximum
        self.in_flight = 0
        self._recover_after = recover_after
        self._successes = 0
        self._generation = 0  # bumped on every decrease
        self._waiters: deque[asyncio.Future[Slot]] = deque()

    async def acquire(self) -> Slot:
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return Slot(self._generation)
        waiter: asyncio.Future[Slot] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.in_flight -= 1  # granted just as we were cancelled: give it back
                self._hand_over()
            elif waiter in self._waiters:  # a hand-over may have dropped it already
                self._waiters.remove(waiter)
            raise

    def release(self, slot: Slot, outcome: Feedback) -> None:
        """Give the slot back and adapt the limit to how the request went."""
        self.in_flight -= 1
        if outcome is Feedback.THROTTLED:
            self._successes = 0
            if slot.generation == self._generation:
                self.limit = max(1, self.limit // 2)
                self._generation += 1
        elif outcome is Feedback.SUCCESS:
            self._successes += 1
            if self._successes >= self._recover_after and self.limit < self.maximum:
                self.limit += 1
                self._successes = 0
        else:
            self._successes = 0
        self._hand_over()

    def _hand_over(self) -> None:
        """Grant free slots to the oldest waiters (counted as in flight from now on)."""
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(Slot(self._generation))


class RequestPacer:
    """Spaces the start of attempts at least `1 / rps` seconds apart, in arrival order."""

    def __init__(
        self, rps: float, *, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        if rps <= 0:
            raise ValueError("rps must be positive")
        self._interval = 1.0 / rps
        self._clock = clock
        self._sleep = sleep
        self._next_start: float | None = None

    async def wait(self) -> None:
        now = self._clock()
        start = now if self._next_start is None else max(now, self._next_start)
        self._next_start = start + self._interval  # reserved before sleeping: no two share a turn
        if start > now:
            await self._sleep(start - now)
