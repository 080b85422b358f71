"""Flood limiters with an injectable clock: a sliding window and a token bucket.

Both limiters keep independent state per key (a chat id, a bot id, ...). They split
"may I?" (:meth:`check`) from "I did" (:meth:`consume`) so that a caller guarded by several
limiters can check them all and consume only when every one of them allows the event.
:meth:`try_acquire` does both at once for the single-limiter case.

Times are seconds on the injected clock (``time.monotonic`` by default); a test passes a
fake clock to make the limiters deterministic.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class SlidingWindowLimiter:
    """At most ``limit`` events per key within any rolling ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float, clock: Clock = time.monotonic) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._events: dict[Hashable, deque[float]] = {}

    def _prune(self, key: Hashable, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        horizon = now - self.window_s
        while events and events[0] <= horizon:
            events.popleft()
        return events

    def check(self, key: Hashable, cost: int = 1) -> float:
        """Seconds until ``cost`` events fit for ``key``: 0.0 if now, ``inf`` if never."""
        if cost > self.limit:
            return math.inf
        now = self.clock()
        events = self._prune(key, now)
        excess = len(events) + cost - self.limit
        if excess <= 0:
            return 0.0
        return max(events[excess - 1] + self.window_s - now, 0.0)

    def consume(self, key: Hashable, cost: int = 1) -> None:
        """Record ``cost`` events for ``key`` now, whether or not they fit."""
        now = self.clock()
        events = self._prune(key, now)
        events.extend([now] * cost)

    def try_acquire(self, key: Hashable, cost: int = 1) -> float:
        """Consume when allowed and return 0.0; otherwise return the wait in seconds."""
        wait = self.check(key, cost)
        if wait == 0.0:
            self.consume(key, cost)
        return wait

    def count(self, key: Hashable) -> int:
        """Events for ``key`` within the current window."""
        return len(self._prune(key, self.clock()))

    def reset(self) -> None:
        """Forget every key."""
        self._events.clear()


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class TokenBucketLimiter:
    """A bucket per key that refills at ``rate_per_s`` up to ``capacity`` tokens.

    An event of cost ``n`` is allowed once the bucket holds ``min(n, capacity)`` tokens, and
    then takes all ``n`` of them, possibly leaving the bucket in debt: a batch larger than the
    burst (an album of 10 photos against a capacity of 3) is allowed from a full bucket, and
    the events after it wait until the debt is paid back.
    """

    def __init__(self, capacity: float, rate_per_s: float, clock: Clock = time.monotonic) -> None:
        if capacity <= 0 or rate_per_s <= 0:
            raise ValueError("capacity and rate_per_s must be > 0")
        self.capacity = capacity
        self.rate_per_s = rate_per_s
        self.clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}

    def _refill(self, key: Hashable, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        elapsed = max(now - bucket.stamp, 0.0)
        bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.rate_per_s)
        bucket.stamp = now
        return bucket

    def check(self, key: Hashable, cost: float = 1) -> float:
        """Seconds until an event of ``cost`` is allowed for ``key`` (0.0 if now)."""
        bucket = self._refill(key, self.clock())
        needed = min(cost, self.capacity)
        if bucket.tokens >= needed:
            return 0.0
        return (needed - bucket.tokens) / self.rate_per_s

    def consume(self, key: Hashable, cost: float = 1) -> None:
        """Take ``cost`` tokens from ``key``'s bucket now (it may go into debt)."""
        bucket = self._refill(key, self.clock())
        bucket.tokens -= cost

    def try_acquire(self, key: Hashable, cost: float = 1) -> float:
        """Consume when allowed and return 0.0; otherwise return the wait in seconds."""
        wait = self.check(key, cost)
        if wait == 0.0:
            self.consume(key, cost)
        return wait

    def tokens(self, key: Hashable) -> float:
        """Tokens currently in ``key``'s bucket (negative while in debt)."""
        return self._refill(key, self.clock()).tokens

    def reset(self) -> None:
        """Forget every key (all buckets full again)."""
        self._buckets.clear()


def retry_after_seconds(wait: float) -> int:
    """Whole seconds to advertise as ``retry_after`` for a wait: rounded up, at least 1."""
    if math.isinf(wait):
        return 3600
    return max(1, math.ceil(wait - 1e-9))
