# SPDX-License-Identifier: Apache-2.0
"""Per-application rate limiting: a token bucket per application in each API process.

``CALGATE_RATE_LIMIT`` requests per minute per application (0 turns it off), with bursts of up
to ``CALGATE_RATE_LIMIT_BURST`` (default: the per-minute figure). A request over the limit is
answered ``429`` with ``Retry-After`` (whole seconds until a token is back). Buckets live in
the process: with N API processes behind a balancer an application may reach up to N times the
limit, so set it per process (documented in the README).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Too many requests: try again in {math.ceil(retry_after)} s")
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0  # tokens per second
        self.capacity = float(burst or per_minute)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, at)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def check(self, key: str) -> None:
        """Take one token for ``key``, or raise ``RateLimited``."""
        if not self.enabled:
            return
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                raise RateLimited((1 - tokens) / self.rate)
            self._buckets[key] = (tokens - 1, now)
