"""The peers benchmark's table: medians over interleaved rounds and ratios from the same run.

Each cell (a target at a connection count) is measured once per round; rounds interleave every
target, so a slow spell of the shared host lands on all of them. A row reports the medians of
req/s, p50 and p99 over the rounds, and its ratios to the bare server ("x bare") and to the
slipway gateway's /v1 route ("x slipway"): the median over rounds of that round's req/s ratio
(the two were measured seconds apart, under the same background load). CPU per request is the
server's own CPU time (its whole process tree) during the measured run over its requests.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    label: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    x_bare: float | None
    x_slipway: float | None
    cpu_us: float | None
    requests: int
    failed: int


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def paired_ratio(runs: list[dict], reference: list[dict] | None) -> float | None:
    """Median over the rounds both were measured in of runs[r].rps / reference[r].rps."""
    if not reference:
        return None
    ref = {r["round"]: r["rps"] for r in reference}
    ratios = [r["rps"] / ref[r["round"]] for r in runs if ref.get(r["round"])]
    return _median(ratios)


def summarize(
    cells: dict[tuple[str, int], list[dict]],
    labels: list[str],
    connections: list[int],
    bare: str | None,
    slipway: str | None,
) -> list[Row]:
    """Rows in table order: by connection count, then `labels` order (cells absent: skipped)."""
    rows = []
    for c in connections:
        for label in labels:
            runs = cells.get((label, c))
            if not runs:
                continue
            cpu = [r["cpu_s"] * 1e6 / r["n"] for r in runs if r.get("cpu_s") is not None and r["n"]]
            rows.append(
                Row(
                    label=label,
                    connections=c,
                    rps=_median(r["rps"] for r in runs),
                    p50_ms=_median(r["p50_ms"] for r in runs),
                    p99_ms=_median(r["p99_ms"] for r in runs),
                    x_bare=paired_ratio(runs, cells.get((bare, c))) if bare else None,
                    x_slipway=paired_ratio(runs, cells.get((slipway, c))) if slipway else None,
                    cpu_us=_median(cpu),
                    requests=sum(r["n"] for r in runs),
                    failed=sum(r["errors"] for r in runs),
                )
            )
    return rows


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def markdown(rows: list[Row]) -> str:
    lines = [
        "| server | conns | req/s | p50 ms | p99 ms | x bare | x slipway | server CPU us/req "
        "| requests | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | {r.connections} | {r.rps:.0f} | {_ms(r.p50_ms)} | {_ms(r.p99_ms)} "
            f"| {_num(r.x_bare, '.2f')} | {_num(r.x_slipway, '.2f')} | {_num(r.cpu_us, '.0f')} "
            f"| {r.requests} | {r.failed} |"
        )
    return "\n".join(lines) + "\n"
