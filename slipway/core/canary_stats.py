"""Statistics of canary windows: histogram quantiles like Prometheus, Jensen-Shannon
divergence, and a G-test that two class-count samples share one distribution. Pure."""

from __future__ import annotations

import math


def _le(text: str) -> float:
    return math.inf if text in ("+Inf", "Inf", "inf") else float(text)


def histogram_quantile(q: float, buckets: dict[str, float]) -> float | None:
    """The q-quantile of cumulative buckets, interpolated like Prometheus; None without data."""
    if not 0 <= q <= 1:
        raise ValueError(f"quantile {q} is outside [0, 1]")
    ordered = sorted(((_le(le), count) for le, count in buckets.items()), key=lambda b: b[0])
    if not ordered or ordered[-1][0] != math.inf:
        return None
    total = ordered[-1][1]
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, count in ordered:
        if count >= rank:
            if upper == math.inf:
                return lower  # like Prometheus: the highest finite bound
            if count == below:
                return upper
            return lower + (upper - lower) * (rank - below) / (count - below)
        lower, below = upper, count
    return lower


def js_divergence(p_counts: dict[str, float], q_counts: dict[str, float]) -> float | None:
    """Jensen-Shannon divergence, base 2 (0 identical .. 1 disjoint); None if either is empty."""
    p_total, q_total = sum(p_counts.values()), sum(q_counts.values())
    if p_total <= 0 or q_total <= 0:
        return None
    result = 0.0
    for key in set(p_counts) | set(q_counts):
        p = p_counts.get(key, 0.0) / p_total
        q = q_counts.get(key, 0.0) / q_total
        m = (p + q) / 2
        if p > 0:
            result += 0.5 * p * math.log2(p / m)
        if q > 0:
            result += 0.5 * q * math.log2(q / m)
    return min(max(result, 0.0), 1.0)


def g_test_p_value(p_counts: dict[str, float], q_counts: dict[str, float]) -> float | None:
    """p-value of a G-test that two class-count samples come from one distribution."""
    from scipy.stats import chi2

    keys = [
        k for k in set(p_counts) | set(q_counts) if p_counts.get(k, 0.0) + q_counts.get(k, 0.0) > 0
    ]
    p_total, q_total = (
        sum(p_counts.get(k, 0.0) for k in keys),
        sum(q_counts.get(k, 0.0) for k in keys),
    )
    if p_total <= 0 or q_total <= 0:
        return None
    if len(keys) < 2:
        return 1.0
    total, g = p_total + q_total, 0.0
    for k in keys:
        column = p_counts.get(k, 0.0) + q_counts.get(k, 0.0)
        for observed, row in ((p_counts.get(k, 0.0), p_total), (q_counts.get(k, 0.0), q_total)):
            if observed > 0:
                g += 2 * observed * math.log(observed / (row * column / total))
    return float(chi2.sf(g, len(keys) - 1))
