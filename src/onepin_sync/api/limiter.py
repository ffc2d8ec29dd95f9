"""How many requests the client may have in flight, and how fast it may start them.

`AdaptiveLimiter` bounds concurrency and adapts it to the server: a 429 halves the current limit
(never below 1), and every `recover_after` consecutive successes give one slot back, up to the
configured maximum. A burst of 429s from requests that all started under the same limit halves it
once, not once per request: they report the same overload.

`AdaptivePacer` is a token bucket for the start of attempts whose rate adapts to what the server
admits (429s, `Retry-After`, `X-RateLimit-*`), capped by the user's `rps`.

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


_EPSILON = 1e-6  # seconds: closer than this to a start is at it


@dataclass(frozen=True, slots=True)
class RateHint:
    """What a response's `X-RateLimit-*` headers say of the key's allowance (None: not sent)."""

    per_minute: float | None = None  # X-RateLimit-Limit: the key's requests per minute
    remaining: float | None = None  # X-RateLimit-Remaining: requests left in the bucket now


NO_HINT = RateHint()


class AdaptivePacer:
    """A token bucket for the start of attempts, whose rate the server teaches.

    Unpaced until the server shows a limit (`ceiling`, the user's `--rps`, caps it from the
    start). What it learns, and from what:

        event                       effect
        429 (one per overload)      every start waits until the server's wait has passed;
                                    rate = BACKOFF x the rate the server admitted since the
                                    oldest 429 of the last WINDOW seconds (both ends saw an
                                    empty bucket, so what came through in between is what
                                    the key sustains for us, whoever else shares it)
        X-RateLimit-Limit           the rate never exceeds it (per minute / 60)
        X-RateLimit-Remaining < 1   pacing starts at X-RateLimit-Limit before any 429
        PROBE_AFTER s, no 429       rate x PROBE_STEP up to the admitted rate; past it by 1%,
                                    2%, 3%... (PROBE_BEYOND), so a key others stop sharing is
                                    used again

    Starts are spaced `1 / rate` apart in arrival order (a bucket of one token), except right
    after a server-ordered wait: the server's bucket refilled while we waited, so the starts
    the wait held back may go at once (up to rate x wait). 429s of attempts that started
    before the last decrease report the same overload and do not decrease it again.
    """

    BACKOFF = 0.95
    WINDOW = 60.0
    PROBE_AFTER = 2.0
    PROBE_STEP = 1.05
    PROBE_BEYOND = 0.01  # the nth probe past the admitted rate raises it by n x this
    FALLBACK_WAIT = 1.0  # seconds every start waits after a 429 that names no wait
    MIN_RATE = 1.0 / 60.0

    def __init__(
        self,
        ceiling: float | None,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        if ceiling is not None and ceiling <= 0:
            raise ValueError("rps must be positive")
        self._ceiling = ceiling
        self._clock = clock
        self._sleep = sleep
        self.rate: float | None = ceiling  # starts per second; None: unpaced
        self.admitted: float | None = None  # the last measured sustainable rate
        self._server_limit: float | None = None  # per second, from X-RateLimit-Limit
        self._tokens = 1.0
        self._capacity = 1.0
        self._updated = clock()
        self._not_before = float("-inf")
        self._generation = 0
        self._changed = clock()
        self._turn = asyncio.Lock()  # one waiter at a time, first come first served
        self._throttles: deque[tuple[float, int]] = deque()  # (when, successes before it)
        self._admitted_total = 0
        self._beyond = 0  # probes past the admitted rate since the last 429

    async def wait(self) -> int:
        """Wait for this attempt's turn to start; the generation to report its outcome with."""
        async with self._turn:
            while True:
                now = self._clock()
                delay = self._delay(now)
                if delay <= _EPSILON:  # float rounding must not leave a turn waiting forever
                    break
                learnt = (self._not_before, self._generation, self.rate)
                await self._sleep(delay)
                if (self._not_before, self._generation, self.rate) == learnt:
                    # Waited what was asked (look again only if the server said more since);
                    # a clock that lags the sleep must not cost another wait.
                    self._delay(max(self._clock(), now + delay))
                    break
            if self.rate is not None:
                self._tokens = max(0.0, self._tokens - 1.0)
                if self._tokens < 1.0:
                    self._capacity = 1.0  # what a server-ordered wait held back is spent
            return self._generation

    def _delay(self, now: float) -> float:
        """Seconds until the next start may go (<= 0: now), after refilling the bucket."""
        if self.rate is not None:
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self._capacity, self._tokens + elapsed * self.rate)
        self._updated = now
        delay = self._not_before - now
        if self.rate is not None and self._tokens < 1.0:
            delay = max(delay, (1.0 - self._tokens) / self.rate)
        return delay

    def feedback(
        self,
        generation: int,
        outcome: Feedback,
        *,
        wait: float | None = None,
        hint: RateHint = NO_HINT,
    ) -> None:
        """How one attempt went; `wait` is what a 429 asked for (Retry-After), if anything."""
        now = self._clock()
        if hint.per_minute is not None and hint.per_minute > 0:
            self._server_limit = hint.per_minute / 60.0
            spent = hint.remaining is not None and hint.remaining < 1
            faster = self.rate is not None and self.rate > self._server_limit
            if faster or (self.rate is None and spent):
                self._set_rate(self._server_limit, now)
        if outcome is Feedback.THROTTLED:
            self._throttled(generation, now, self.FALLBACK_WAIT if wait is None else wait)
        elif outcome is Feedback.SUCCESS:
            self._admitted_total += 1
            if self.rate is not None and now - self._changed >= self.PROBE_AFTER:
                if self.admitted is not None and self.rate < self.admitted:
                    step = self.PROBE_STEP
                else:  # past what was admitted: slowly at first, faster the longer it holds
                    self._beyond += 1
                    step = 1.0 + self.PROBE_BEYOND * self._beyond
                self._set_rate(self.rate * step, now)

    def _throttled(self, generation: int, now: float, wait: float) -> None:
        self._not_before = max(self._not_before, now + wait)
        self._forget_before(now - self.WINDOW)
        measured = self._admitted_since_oldest_throttle(now)
        self._throttles.append((now, self._admitted_total))
        if generation != self._generation:
            return  # started before the last decrease: the same overload
        self._generation += 1
        self._beyond = 0
        if measured is not None:
            self.admitted = measured
        known = [r for r in (self.rate, self.admitted) if r is not None]
        if known:
            self._set_rate(min(known) * self.BACKOFF, now)
            self._tokens = 0.0  # the server's bucket is empty now; it refills while we wait
            self._updated = now
            self._capacity = max(1.0, self.rate * wait) if self.rate is not None else 1.0

    def _admitted_since_oldest_throttle(self, now: float) -> float | None:
        """Successes per second since the oldest 429 still in the window (None: too little)."""
        if not self._throttles:
            return None
        since, before = self._throttles[0]
        span = now - since
        admitted = self._admitted_total - before
        if span < 1.0 or admitted < 2:
            return None
        return admitted / span

    def _forget_before(self, horizon: float) -> None:
        while self._throttles and self._throttles[0][0] < horizon:
            self._throttles.popleft()

    def _set_rate(self, rate: float, now: float) -> None:
        for cap in (self._ceiling, self._server_limit):
            if cap is not None:
                rate = min(rate, cap)
        self.rate = max(self.MIN_RATE, rate)
        self._changed = now
