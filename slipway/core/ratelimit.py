"""Token bucket rate limiting (pure: the caller passes the clock)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TokenBucket:
    """`capacity` tokens at most, refilled at `rate` tokens per second.

    `take(now)` spends one token and returns 0.0, or returns the seconds until one is
    available (the value for `Retry-After`) without spending anything.
    """

    rate: float
    capacity: float
    tokens: float | None = None
    updated: float | None = None

    def __post_init__(self) -> None:
        if self.rate < 0 or self.capacity < 1:
            raise ValueError(
                f"token bucket needs rate >= 0 and capacity >= 1 (got {self.rate}, {self.capacity})"
            )
        if self.tokens is None:
            self.tokens = float(self.capacity)

    def _refill(self, now: float) -> None:
        if self.updated is not None and now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        if self.updated is None or now > self.updated:
            self.updated = now

    def take(self, now: float, cost: float = 1.0) -> float:
        self._refill(now)
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        if self.rate <= 0:
            return float("inf")
        return (cost - self.tokens) / self.rate


def retry_after_header(wait_s: float) -> str:
    """Whole seconds for `Retry-After` (at least 1; a huge value when the bucket never refills)."""
    if wait_s == float("inf"):
        return "3600"
    return str(max(1, int(-(-wait_s // 1))))
