"""Concurrency: at most `parallelism` in flight, halved on 429, recovered after successes; rps.

The pacer's rate learning is in `test_client_pacing.py`.
"""

from __future__ import annotations

import asyncio

import httpx

from onepin_sync.api.client import OnepinClient
from onepin_sync.api.limiter import AdaptiveLimiter, Feedback
from tests.api.fakes import Harness, ok, workflow_item


def _limits_after(limiter: AdaptiveLimiter, outcomes: list[Feedback]) -> list[int]:
    """Run each outcome on its own slot, one after the other; the limit after each."""

    async def go() -> list[int]:
        limits = []
        for outcome in outcomes:
            limiter.release(await limiter.acquire(), outcome)
            limits.append(limiter.limit)
        return limits

    return asyncio.run(go())


def test_each_throttled_request_halves_the_limit_down_to_one() -> None:
    limiter = AdaptiveLimiter(8)
    assert _limits_after(limiter, [Feedback.THROTTLED] * 5) == [4, 2, 1, 1, 1]


def test_ten_consecutive_successes_give_one_slot_back_up_to_the_maximum() -> None:
    limiter = AdaptiveLimiter(3)
    limits = _limits_after(limiter, [Feedback.THROTTLED] + [Feedback.SUCCESS] * 30)
    assert limits[0] == 1
    assert limits[9:11] == [1, 2]  # the 10th success
    assert limits[19:21] == [2, 3]
    assert limits[-1] == 3  # never above the maximum


def test_a_failure_or_a_429_restarts_the_success_count() -> None:
    limiter = AdaptiveLimiter(8, recover_after=3)
    outcomes = [Feedback.THROTTLED, Feedback.SUCCESS, Feedback.SUCCESS, Feedback.FAILURE]
    outcomes += [Feedback.SUCCESS, Feedback.SUCCESS, Feedback.SUCCESS]
    assert _limits_after(limiter, outcomes) == [4, 4, 4, 4, 4, 4, 5]


def test_a_burst_of_429s_from_one_generation_halves_once() -> None:
    async def go() -> int:
        limiter = AdaptiveLimiter(8)
        slots = [await limiter.acquire() for _ in range(8)]
        for slot in slots:
            limiter.release(slot, Feedback.THROTTLED)
        return limiter.limit

    assert asyncio.run(go()) == 4


def test_acquire_waits_while_the_limit_is_reached_and_cancelled_waiters_leave() -> None:
    async def go() -> None:
        limiter = AdaptiveLimiter(2)
        first, _second = await limiter.acquire(), await limiter.acquire()
        blocked = asyncio.ensure_future(limiter.acquire())
        cancelled = asyncio.ensure_future(limiter.acquire())
        await asyncio.sleep(0)
        assert not blocked.done()
        cancelled.cancel()
        limiter.release(first, Feedback.SUCCESS)
        await asyncio.sleep(0)
        assert blocked.done()
        assert limiter.in_flight == 2
        assert cancelled.cancelled()

    asyncio.run(go())


def test_a_release_hands_its_slot_to_the_oldest_waiter_only() -> None:
    async def go() -> None:
        limiter = AdaptiveLimiter(1)
        held = await limiter.acquire()
        order: list[int] = []

        async def wait(index: int) -> None:
            slot = await limiter.acquire()
            order.append(index)
            limiter.release(slot, Feedback.SUCCESS)

        waiting = [asyncio.ensure_future(wait(i)) for i in range(50)]
        await asyncio.sleep(0)
        assert limiter.in_flight == 1
        limiter.release(held, Feedback.SUCCESS)
        await asyncio.gather(*waiting)
        assert order == list(range(50))  # first come, first served
        assert limiter.in_flight == 0

    asyncio.run(go())


def test_a_slot_granted_to_a_waiter_cancelled_meanwhile_is_given_back() -> None:
    async def go() -> None:
        limiter = AdaptiveLimiter(1)
        held = await limiter.acquire()
        doomed = asyncio.ensure_future(limiter.acquire())
        after = asyncio.ensure_future(limiter.acquire())
        await asyncio.sleep(0)
        limiter.release(held, Feedback.SUCCESS)  # grants the slot to `doomed`...
        doomed.cancel()  # ...which is cancelled before it runs
        slot = await asyncio.wait_for(after, timeout=5)  # a leaked slot would block it
        assert doomed.cancelled()
        assert limiter.in_flight == 1
        limiter.release(slot, Feedback.SUCCESS)
        assert limiter.in_flight == 0

    asyncio.run(go())


class Gauge:
    """A server that answers GETs of one workflow slowly and records the peak concurrency."""

    def __init__(self, first_replies: list[httpx.Response] | None = None) -> None:
        self.first_replies = list(first_replies or [])
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            for _ in range(5):
                await asyncio.sleep(0)
            return self.first_replies.pop(0) if self.first_replies else ok(workflow_item(1))
        finally:
            self.in_flight -= 1


async def _burst(client: OnepinClient, count: int) -> None:
    await asyncio.gather(*(client.get_workflow(f"w{i}") for i in range(count)))


def test_no_more_than_parallelism_requests_in_flight() -> None:
    gauge = Gauge()
    Harness(gauge, settings={"parallelism": 3}).run(lambda c: _burst(c, 20))
    assert gauge.peak == 3


def test_client_halves_concurrency_on_429_and_recovers_after_ten_successes() -> None:
    gauge = Gauge([httpx.Response(429)])
    peaks = []

    async def scenario(client: OnepinClient) -> None:
        await client.get_workflow("w")  # 429 (limit 8 -> 4), then 200: 1 success
        for count in (9, 12):  # 9 more successes: limit 5 when the burst ends
            gauge.peak = 0
            await _burst(client, count)
            peaks.append(gauge.peak)

    Harness(gauge, settings={"parallelism": 8}).run(scenario)
    assert peaks == [4, 5]


def test_client_with_rps_waits_between_attempts() -> None:
    harness = Harness(Gauge(), settings={"rps": 4.0})
    harness.run(lambda c: _burst(c, 3))
    assert harness.clock.sleeps == [0.25, 0.25]
    assert harness.requests_sent == 3
