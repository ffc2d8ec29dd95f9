"""A token-bucket rate limiter per API key, like the real keys' `rate_limit_per_min` (1000).

Each key's bucket holds up to `per_minute` tokens and refills continuously at `per_minute / 60`
tokens a second, so a fresh key may burst a full minute's budget and then sustain the rate. A
request that finds the bucket empty is refused with the number of seconds until a token is back.
`start_spent` starts every bucket empty, as when other jobs sharing the key have spent it.

`headers` (off by default: the real API documents no rate-limit headers, so they are our guess)
describes the bucket on every answer to the key, in the common `X-RateLimit-*` form:
`X-RateLimit-Limit` (requests per minute), `X-RateLimit-Remaining` (whole tokens left) and
`X-RateLimit-Reset` (Unix time, whole seconds, when the bucket is full again; the official SDK
reads this header as Unix time).

Standard library only; used from the server's event loop only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """Per-key token buckets."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        start_spent: bool = False,
        headers: bool = False,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if per_minute < 1:
            raise ValueError("a rate limit needs at least 1 request per minute")
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._clock = clock
        self._wall = wall
        self._start = 0.0 if start_spent else float(per_minute)
        self._headers = headers
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, key: str) -> int | None:
        """Take a token for `key`: None when allowed, else whole seconds to wait (>= 1)."""
        bucket = self._refilled(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / self._rate))

    def headers(self, key: str) -> dict[str, str]:
        """The `X-RateLimit-*` headers for an answer to `key` now ({} when they are off)."""
        if not self._headers:
            return {}
        bucket = self._refilled(key)
        full_in = (self.per_minute - bucket.tokens) / self._rate
        return {
            "X-RateLimit-Limit": str(self.per_minute),
            "X-RateLimit-Remaining": str(math.floor(bucket.tokens)),
            "X-RateLimit-Reset": str(math.ceil(self._wall() + full_in)),
        }

    def _refilled(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=self._start, updated=now)
        else:
            bucket.tokens = min(
                float(self.per_minute), bucket.tokens + (now - bucket.updated) * self._rate
            )
            bucket.updated = now
        return bucket
