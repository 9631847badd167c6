"""Latency statistics, the noise rule, the SLO gate and the choice of what ships (pure).

Inputs are plain numbers measured elsewhere (slipway.latency): no timing happens here.
"Fastest" means the lowest batch-1 p50 latency; ties (within `tie_tolerance`, relative)
go to the smaller model. A candidate is eligible when convert-and-quantize accepted it,
its accuracy gate passed, its benchmark ran, its batch-1 p99 meets the SLO and, when
asked, its best throughput reaches the minimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, Field

DEFAULT_MAX_CV = 0.5
DEFAULT_TIE_TOLERANCE = 0.05


class LatencyStats(BaseModel):
    samples: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    mean_ms: float
    std_ms: float
    cv: float
    """Coefficient of variation: std / mean."""


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of already sorted values."""
    if not sorted_values:
        raise ValueError("percentile of no samples")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    pos = (len(sorted_values) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def summarize(samples_ms: Sequence[float]) -> LatencyStats:
    """p50/p95/p99/p999/max/mean/std and CV of latency samples in milliseconds."""
    if not samples_ms:
        raise ValueError("no latency samples")
    if any(s < 0 or math.isnan(s) for s in samples_ms):
        raise ValueError("latency samples must be non-negative numbers")
    ordered = sorted(samples_ms)
    n = len(ordered)
    mean = sum(ordered) / n
    std = math.sqrt(sum((s - mean) ** 2 for s in ordered) / n)
    return LatencyStats(
        samples=n,
        p50_ms=percentile(ordered, 50),
        p95_ms=percentile(ordered, 95),
        p99_ms=percentile(ordered, 99),
        p999_ms=percentile(ordered, 99.9),
        max_ms=ordered[-1],
        mean_ms=mean,
        std_ms=std,
        cv=coefficient_of_variation(mean, std),
    )


def coefficient_of_variation(mean: float, std: float) -> float:
    return std / mean if mean > 0 else 0.0


def needs_repeat(
    cv: float, attempt: int, max_cv: float = DEFAULT_MAX_CV, max_attempts: int = 3
) -> bool:
    """Too noisy, repeat: the CV is over the limit and attempts are left (attempt counts from 1)."""
    return cv > max_cv and attempt < max_attempts


def throughput(rows: int, seconds: float) -> float:
    """Rows per second."""
    if rows < 0:
        raise ValueError("rows must be >= 0")
    if seconds <= 0:
        raise ValueError("elapsed seconds must be > 0")
    return rows / seconds


class BenchRow(BaseModel):
    """One candidate's (or the baseline's) summary, as the gate sees it."""

    name: str
    role: str = "candidate"
    """candidate | baseline (the source framework: measured, never selectable)."""
    status: str = "accepted"
    """The convert stage's status (accepted, rejected, ...)."""
    accuracy_passed: bool | None = None
    measured: bool = True
    error: str = ""
    p50_ms: float | None = None
    p99_ms: float | None = None
    threads: int | None = None
    """The thread count the batch-1 numbers come from (the fastest one)."""
    best_throughput: float | None = None
    size_bytes: int | None = None


class SelectionOutcome(BaseModel):
    passed: bool
    candidate: str | None = None
    why: str
    losers: dict[str, str] = Field(default_factory=dict)
    slo_p99_ms: float
    min_throughput: float | None = None


def disqualification(row: BenchRow, slo_p99_ms: float, min_throughput: float | None) -> str | None:
    """Why this row cannot ship, or None when it is eligible."""
    if row.role != "candidate":
        return "baseline (source framework): measured for comparison, not a candidate"
    if row.status != "accepted":
        return f"not accepted by convert-and-quantize (status {row.status})"
    if row.accuracy_passed is False:
        return "failed the accuracy gate"
    if not row.measured or row.p99_ms is None or row.p50_ms is None:
        return f"benchmark failed: {row.error or 'no measurement'}"
    if row.p99_ms > slo_p99_ms:
        return f"p99 {row.p99_ms:.3f} ms at batch 1 is over the SLO {slo_p99_ms:g} ms"
    if min_throughput is not None and (row.best_throughput or 0.0) < min_throughput:
        best = row.best_throughput or 0.0
        return f"best throughput {best:.1f} rows/s is under the minimum {min_throughput:g} rows/s"
    return None


def _faster(a: BenchRow, b: BenchRow, tie_tolerance: float) -> bool:
    """Is `a` preferred to `b`: clearly lower p50, or a tie on p50 and smaller."""
    limit = max(a.p50_ms, b.p50_ms) * tie_tolerance
    if abs(a.p50_ms - b.p50_ms) > limit:
        return a.p50_ms < b.p50_ms
    size_a, size_b = a.size_bytes or 0, b.size_bytes or 0
    if size_a != size_b:
        return size_a < size_b
    return a.name < b.name


def select(
    rows: Sequence[BenchRow],
    slo_p99_ms: float,
    min_throughput: float | None = None,
    tie_tolerance: float = DEFAULT_TIE_TOLERANCE,
) -> SelectionOutcome:
    """The fastest eligible candidate, with a reason for every other row."""
    if slo_p99_ms <= 0:
        raise ValueError("the SLO must be > 0 ms")
    losers: dict[str, str] = {}
    eligible: list[BenchRow] = []
    for row in rows:
        reason = disqualification(row, slo_p99_ms, min_throughput)
        if reason is None:
            eligible.append(row)
        else:
            losers[row.name] = reason
    if not eligible:
        return SelectionOutcome(
            passed=False,
            why=f"no candidate meets the SLO p99 <= {slo_p99_ms:g} ms at batch 1"
            + (f" and >= {min_throughput:g} rows/s" if min_throughput is not None else ""),
            losers=losers,
            slo_p99_ms=slo_p99_ms,
            min_throughput=min_throughput,
        )
    winner = eligible[0]
    for row in eligible[1:]:
        if _faster(row, winner, tie_tolerance):
            winner = row
    for row in eligible:
        if row is winner:
            continue
        tie = abs(row.p50_ms - winner.p50_ms) <= max(row.p50_ms, winner.p50_ms) * tie_tolerance
        if tie:
            losers[row.name] = (
                f"ties with {winner.name} on p50 ({row.p50_ms:.3f} vs {winner.p50_ms:.3f} ms) "
                f"and is not smaller ({row.size_bytes or 0} vs {winner.size_bytes or 0} bytes)"
            )
        else:
            losers[row.name] = (
                f"slower: p50 {row.p50_ms:.3f} ms vs {winner.name}'s {winner.p50_ms:.3f} ms"
            )
    why = (
        f"fastest eligible candidate: p50 {winner.p50_ms:.3f} ms, p99 {winner.p99_ms:.3f} ms at "
        "batch 1 "
        f"({winner.threads} thread(s)) within the SLO {slo_p99_ms:g} ms"
    )
    return SelectionOutcome(
        passed=True,
        candidate=winner.name,
        why=why,
        losers=losers,
        slo_p99_ms=slo_p99_ms,
        min_throughput=min_throughput,
    )


def parse_positive_ints(text: str, what: str) -> list[int]:
    """'1,8,32' -> [1, 8, 32]; raises ValueError naming `what` otherwise."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise ValueError(
            f"{what} {text!r}: give positive integers separated by commas, e.g. 1,8,32"
        ) from None
    if not values or any(v <= 0 for v in values):
        raise ValueError(
            f"{what} {text!r}: give positive integers separated by commas, e.g. 1,8,32"
        )
    return sorted(set(values))
