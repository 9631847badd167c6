"""Token bucket: exactly `capacity` immediate takes, refill by rate, Retry-After rounding."""

import pytest

from slipway.core.ratelimit import TokenBucket, retry_after_header


@pytest.mark.parametrize("capacity, attempts", [(1, 3), (5, 8), (10, 10), (3, 20)])
def test_exactly_capacity_pass_at_one_instant(capacity, attempts):
    bucket = TokenBucket(rate=1.0, capacity=capacity)
    passed = sum(1 for _ in range(attempts) if bucket.take(now=100.0) == 0.0)
    assert passed == min(capacity, attempts)


@pytest.mark.parametrize(
    "rate, elapsed, expected",
    [(1.0, 1.0, 1), (2.0, 1.0, 2), (10.0, 0.2, 2), (10.0, 0.5, 3), (1.0, 100.0, 3)],
)
def test_refill_by_rate_up_to_capacity(rate, elapsed, expected):
    bucket = TokenBucket(rate=rate, capacity=3)
    for _ in range(3):
        bucket.take(now=0.0)
    passed = sum(1 for _ in range(10) if bucket.take(now=elapsed) == 0.0)
    assert passed == expected


@pytest.mark.parametrize("rate, wait", [(1.0, 1.0), (4.0, 0.25), (0.5, 2.0)])
def test_refusal_says_how_long_to_wait(rate, wait):
    bucket = TokenBucket(rate=rate, capacity=1)
    bucket.take(now=0.0)
    assert bucket.take(now=0.0) == pytest.approx(wait)


def test_zero_rate_never_refills():
    bucket = TokenBucket(rate=0.0, capacity=1)
    bucket.take(now=0.0)
    assert bucket.take(now=1e9) == float("inf")


def test_clock_going_back_does_not_mint_tokens():
    bucket = TokenBucket(rate=1.0, capacity=1)
    bucket.take(now=10.0)
    assert bucket.take(now=5.0) > 0


@pytest.mark.parametrize(
    "wait, header", [(0.01, "1"), (1.0, "1"), (1.2, "2"), (59.9, "60"), (float("inf"), "3600")]
)
def test_retry_after_header(wait, header):
    assert retry_after_header(wait) == header


@pytest.mark.parametrize("rate, capacity", [(-1.0, 1), (1.0, 0)])
def test_bad_bucket_is_refused(rate, capacity):
    with pytest.raises(ValueError, match="token bucket"):
        TokenBucket(rate=rate, capacity=capacity)
