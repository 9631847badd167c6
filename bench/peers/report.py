"""The peers benchmark's table: medians over interleaved rounds and ratios from the same run.

Each cell (a target at a connection count) is measured once per round; rounds interleave every
target, so a slow spell of the shared host lands on all of them. A row reports the medians of
req/s, p50 and p99 over the rounds with the range of req/s (the host's noise, in plain view),
and its ratios to the bare server ("x bare") and to the slipway gateway's /v1 route
("x slipway") at the same connection count: ratios of the median req/s, so a reader can check
them against the req/s column. CPU per request is the server's own CPU time (its whole
process tree) during the measured run over its requests.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    label: str
    connections: int
    rps: float
    rps_min: float
    rps_max: float
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


def ratio(value: float, reference: float | None) -> float | None:
    return value / reference if reference else None


def summarize(
    cells: dict[tuple[str, int], list[dict]],
    labels: list[str],
    connections: list[int],
    bare: str | None,
    slipway: str | None,
) -> list[Row]:
    """Rows in table order: by connection count, then `labels` order (cells absent: skipped)."""
    medians = {key: _median(r["rps"] for r in runs) for key, runs in cells.items() if runs}
    rows = []
    for c in connections:
        for label in labels:
            runs = cells.get((label, c))
            if not runs:
                continue
            rps = medians[(label, c)]
            cpu = [r["cpu_s"] * 1e6 / r["n"] for r in runs if r.get("cpu_s") is not None and r["n"]]
            rows.append(
                Row(
                    label=label,
                    connections=c,
                    rps=rps,
                    rps_min=min(r["rps"] for r in runs),
                    rps_max=max(r["rps"] for r in runs),
                    p50_ms=_median(r["p50_ms"] for r in runs),
                    p99_ms=_median(r["p99_ms"] for r in runs),
                    x_bare=ratio(rps, medians.get((bare, c))) if bare else None,
                    x_slipway=ratio(rps, medians.get((slipway, c))) if slipway else None,
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
        "| server | conns | req/s | req/s range | p50 ms | p99 ms | x bare | x slipway "
        "| server CPU us/req | requests | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | {r.connections} | {r.rps:.0f} | {r.rps_min:.0f}-{r.rps_max:.0f} "
            f"| {_ms(r.p50_ms)} | {_ms(r.p99_ms)} "
            f"| {_num(r.x_bare, '.2f')} | {_num(r.x_slipway, '.2f')} | {_num(r.cpu_us, '.0f')} "
            f"| {r.requests} | {r.failed} |"
        )
    return "\n".join(lines) + "\n"
