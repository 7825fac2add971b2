# SPDX-License-Identifier: Apache-2.0
"""The per-application token bucket, on a clock the test moves."""

import pytest

from calgate.rate_limits import RateLimited, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_request_per_refill_and_applications_apart():
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    for _ in range(3):
        limiter.check("app_a")
    with pytest.raises(RateLimited) as caught:
        limiter.check("app_a")
    assert caught.value.retry_after == pytest.approx(1.0)
    limiter.check("app_b")  # another application has its own bucket
    clock.now += 1.0
    limiter.check("app_a")
    with pytest.raises(RateLimited):
        limiter.check("app_a")
    clock.now += 60
    for _ in range(3):  # refilled to the burst, never beyond
        limiter.check("app_a")
    with pytest.raises(RateLimited):
        limiter.check("app_a")


def test_zero_turns_it_off():
    limiter = RateLimiter(per_minute=0)
    for _ in range(10_000):
        limiter.check("app_a")
