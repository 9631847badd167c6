"""Micro-batching policy: how many queued requests one runtime call takes (pure).

A worker takes the first waiting request, then everything already queued up to
`max_batch_rows`; when the batch is still short it may wait up to `max_wait_s` for more.
With `max_wait_s = 0` (the default) a lone request never waits: batches form only from
requests that arrived while the runtime was busy, so batching costs no latency at one
connection and buys throughput under concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BatchPolicy:
    max_batch_rows: int = 64
    max_wait_s: float = 0.0

    def __post_init__(self) -> None:
        if self.max_batch_rows < 1:
            raise ValueError(f"max_batch_rows must be >= 1 (got {self.max_batch_rows})")
        if self.max_wait_s < 0:
            raise ValueError(f"max_wait_s must be >= 0 (got {self.max_wait_s})")

    def fits(self, rows_so_far: int, next_rows: int) -> bool:
        """Whether a request of `next_rows` joins a batch already holding `rows_so_far`.

        The first request always fits (a request larger than the cap runs alone)."""
        return rows_so_far == 0 or rows_so_far + next_rows <= self.max_batch_rows

    def wait_left(self, rows_so_far: int, waited_s: float) -> float:
        """Seconds still worth waiting for more rows (0 = run now)."""
        if rows_so_far >= self.max_batch_rows:
            return 0.0
        return max(0.0, self.max_wait_s - waited_s)


def split_offsets(sizes: list[int]) -> list[tuple[int, int]]:
    """(start, stop) of each request's rows in the concatenated batch."""
    spans, start = [], 0
    for size in sizes:
        spans.append((start, start + size))
        start += size
    return spans
