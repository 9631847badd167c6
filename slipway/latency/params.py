"""Parameters and result of the benchmark-latency stage (the Prefect form and the typed result)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from slipway.core.latency import DEFAULT_MAX_CV, SelectionOutcome
from slipway.core.manifest import Selection
from slipway.latency.harness import WORKER_MODULE


class BenchParams(BaseModel):
    candidate_dir: str
    """A candidate directory (manifest.json) or one .onnx / OpenVINO .xml file."""
    eval_data: str | None = None
    batch_sizes: list[int] = Field(default_factory=lambda: [1, 8, 32])
    threads: list[int] = Field(default_factory=lambda: [1, 2])
    duration_s: float = Field(default=0.2, gt=0, le=600)
    """Seconds of timed calls per phase (batch-1 latency, each batch size), per thread count."""
    slo_p99_ms: float = Field(default=50.0, gt=0)
    min_throughput: float | None = Field(default=None, gt=0)
    max_cv: float = Field(default=DEFAULT_MAX_CV, gt=0)
    timeout_s: float | None = Field(default=None, gt=0)
    """Per worker; default scales with the phases (at least 60 s)."""
    worker_module: str = WORKER_MODULE

    @field_validator("batch_sizes", "threads")
    @classmethod
    def _positive(cls, values: list[int]) -> list[int]:
        if not values or any(v <= 0 for v in values):
            raise ValueError("give one or more positive integers")
        return sorted(set(values))


class TableRow(BaseModel):
    name: str
    role: str
    runtime: str
    precision: str
    status: str
    """ok | failed."""
    error: str = ""
    size_bytes: int | None = None
    load_s: float | None = None
    peak_rss_mb: float | None = None
    threads: int | None = None
    latency: dict[str, Any] | None = None
    """Batch-1 LatencyStats at `threads`, plus attempts and noisy."""
    batches: list[dict[str, Any]] = Field(default_factory=list)
    """{threads, batch, calls, p50_ms, p99_ms, throughput} for every combination."""
    speedup_vs_baseline: float | None = None
    accuracy_passed: bool | None = None


class BenchResult(BaseModel):
    passed: bool
    rows: list[TableRow]
    host: dict[str, Any]
    selection: Selection | None
    outcome: SelectionOutcome
    chart_path: str | None = None
    report_dir: str | None = None
    manifest_path: str | None = None
    baseline_note: str = ""
    mlflow_run_id: str | None = None
    summary: str
