"""Pacing: the adaptive pacer learns the key's rate from 429s, `Retry-After` and `X-RateLimit-*`,
and a 429 never uses up a request's retries while the run's deadline bounds them.

Everything runs on the fake clock, which moves only when the client sleeps; `BucketServer` is a
token-bucket rate limiter on that clock (like the emulator's and, by its keys'
`rate_limit_per_min`, the real API's), so hundreds of simulated seconds take no real time.
"""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest

from onepin_sync.api.client import OnepinClient
from onepin_sync.api.limiter import AdaptivePacer, Feedback, RateHint
from onepin_sync.errors import ApiError
from tests.api.fakes import FakeClock, Harness, fail, ok, workflow_item

PER_MINUTE = 600
RATE = PER_MINUTE / 60.0


class BucketServer:
    """Answers GETs of one workflow, or 429 with `Retry-After` when the key's bucket is empty.

    The bucket starts `tokens` full (0: spent by other jobs sharing the key); `headers` adds
    `X-RateLimit-Limit` and `-Remaining` to every answer. Records (time, status) per request.
    """

    def __init__(self, clock: FakeClock, *, tokens: float = 0.0, headers: bool = False) -> None:
        self.clock = clock
        self.per_minute = PER_MINUTE
        self.tokens = tokens
        self.updated = clock.now
        self.headers = headers
        self.log: list[tuple[float, int]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        now = self.clock.now
        rate = self.per_minute / 60.0
        self.tokens = min(self.per_minute, self.tokens + (now - self.updated) * rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            response = ok(workflow_item(1))
        else:
            wait = max(1, math.ceil((1.0 - self.tokens) / rate))
            response = fail(429, "RATE_LIMITED", headers={"Retry-After": str(wait)})
        if self.headers:
            response.headers["X-RateLimit-Limit"] = str(self.per_minute)
            response.headers["X-RateLimit-Remaining"] = str(int(self.tokens))
        self.log.append((now, response.status_code))
        return response

    def share_429(self, after: float) -> float:
        """The share of requests answered 429 from `after` seconds into the run on."""
        start = self.log[0][0]
        late = [status for when, status in self.log if when - start >= after]
        return sum(1 for status in late if status == 429) / len(late)

    def seconds(self) -> float:
        return self.log[-1][0] - self.log[0][0]


def _requests(count: int) -> object:
    async def burst(client: OnepinClient) -> None:
        await asyncio.gather(*(client.get_workflow(f"w{i}") for i in range(count)))

    return burst


def _run(server: BucketServer, clock: FakeClock, count: int) -> Harness:
    harness = Harness(server, settings={"deadline": 900.0, "parallelism": 8}, clock=clock)
    harness.run(_requests(count))  # type: ignore[arg-type]
    return harness


def test_under_a_spent_bucket_the_pacer_finds_the_rate_and_stays_under_it() -> None:
    clock = FakeClock()
    server = BucketServer(clock, tokens=0.0)
    count = 300

    _run(server, clock, count)

    assert sum(1 for _, status in server.log if status == 200) == count
    print(f"429 share after 10 s {server.share_429(after=10.0):.3f}, {server.seconds():.1f} s")
    assert server.share_429(after=10.0) < 0.05
    assert server.seconds() <= 1.1 * count / RATE


def test_x_ratelimit_headers_start_the_pacing_as_the_bucket_runs_dry() -> None:
    clock = FakeClock()
    server = BucketServer(clock, tokens=5.0, headers=True)

    _run(server, clock, 100)

    statuses = [status for _, status in server.log]
    # Only requests already in flight when the headers first said the bucket was empty:
    assert 429 not in statuses[8:]
    assert statuses.count(200) == 100
    assert server.seconds() <= 1.1 * 95 / RATE  # 5 from the bucket, then 10 a second


def test_the_rate_rises_again_when_the_key_is_shared_less() -> None:
    clock = FakeClock()
    server = BucketServer(clock, tokens=0.0)
    server.per_minute = 300  # other jobs take half of the key
    harness = Harness(server, settings={"deadline": 900.0}, clock=clock)

    async def scenario(client: OnepinClient) -> None:
        await _requests(150)(client)  # type: ignore[operator]
        server.per_minute = 600  # they are done
        half = len(server.log)
        await _requests(300)(client)  # type: ignore[operator]
        late = server.log[half:]
        assert (late[-1][0] - late[0][0]) < 300 / 5.0 * 0.75  # faster than the old share

    harness.run(scenario)


def test_fresh_bucket_is_not_paced() -> None:
    clock = FakeClock()
    server = BucketServer(clock, tokens=600.0, headers=True)

    _run(server, clock, 200)

    assert clock.sleeps == []


def test_a_429_burst_holds_every_start_until_the_servers_wait_has_passed() -> None:
    clock = FakeClock()
    pacer = AdaptivePacer(None, clock=clock, sleep=clock.sleep)

    async def go() -> list[float]:
        starts = []
        generation = await pacer.wait()
        pacer.feedback(generation, Feedback.THROTTLED, wait=3.0)
        for _ in range(3):
            await pacer.wait()
            starts.append(clock.now)
        return starts

    start = clock.now
    assert asyncio.run(go()) == [start + 3.0] * 3  # nothing learnt yet: no spacing, only the wait
    assert pacer.rate is None


def test_pacer_with_rps_spaces_starts_in_arrival_order() -> None:
    clock = FakeClock()
    pacer = AdaptivePacer(2.0, clock=clock, sleep=clock.sleep)
    order: list[int] = []

    async def start(n: int) -> None:
        await pacer.wait()
        order.append(n)

    async def go() -> None:
        await asyncio.gather(*(start(n) for n in range(4)))

    asyncio.run(go())
    assert order == [0, 1, 2, 3]
    assert clock.sleeps == [0.5, 0.5, 0.5]


def test_the_rate_never_exceeds_rps_or_the_servers_limit() -> None:
    clock = FakeClock()
    pacer = AdaptivePacer(4.0, clock=clock, sleep=clock.sleep)
    hint = RateHint(per_minute=120.0, remaining=0.0)

    pacer.feedback(0, Feedback.SUCCESS, hint=hint)
    assert pacer.rate == 2.0  # 120 a minute
    for _ in range(100):
        clock.now += 10.0
        pacer.feedback(0, Feedback.SUCCESS, hint=hint)
    assert pacer.rate == 2.0


@pytest.mark.parametrize(("deadline", "sent"), [(900.0, 11), (None, 3)])
def test_a_429_uses_up_no_retry_while_the_deadline_allows(
    deadline: float | None, sent: int
) -> None:
    replies = [fail(429, "RATE_LIMITED", headers={"Retry-After": "1"})] * 10
    server = Scripted([*replies, ok(workflow_item(1))])
    harness = Harness(server, settings={"max_retries": 2, "deadline": deadline})

    if deadline is None:
        with pytest.raises(ApiError, match=r"429 RATE_LIMITED.*gave up after 3 attempts"):
            harness.run(lambda c: c.get_workflow("w"))
    else:
        assert harness.run(lambda c: c.get_workflow("w")).id == workflow_item(1)["id"]
        assert any("rate limited, sent again in 1.00 s (not a retry)" in x for x in harness.lines)
    assert server.sent == sent


def test_a_429_still_ends_at_the_deadline() -> None:
    server = Scripted([fail(429, "RATE_LIMITED", headers={"Retry-After": "30"})] * 10)
    harness = Harness(server, settings={"deadline": 100.0})

    with pytest.raises(ApiError, match=r"gave up: the 100 s deadline was reached"):
        harness.run(lambda c: c.get_workflow("w"))
    assert server.sent == 4  # at 0, 30, 60, 90 s; 120 s is past the deadline


class Scripted:
    def __init__(self, replies: list[httpx.Response]) -> None:
        self.replies = replies
        self.sent = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        reply = self.replies[min(self.sent, len(self.replies) - 1)]
        self.sent += 1
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)
