"""benchmark-latency as library functions: measuring, the table, the gate, the selection.

Parameters and results are in slipway.latency.params. Writing the table and the choice into
the candidate manifest is its own step (`write_selection`), which the flow calls by name.
"""

from __future__ import annotations

from pathlib import Path

from slipway.core.latency import BenchRow, SelectionOutcome, select
from slipway.core.manifest import Candidate, Manifest, Selection
from slipway.latency.harness import run_worker, timeout_for, worker_specs
from slipway.latency.inputs import Target
from slipway.latency.params import BenchParams, TableRow


def model_size(bundle_dir: Path, candidate: Candidate) -> int | None:
    """Bytes of every file of the candidate (an IR's .xml and .bin), else the manifest's size."""
    files = [bundle_dir / f for f in candidate.files if (bundle_dir / f).is_file()]
    return sum(f.stat().st_size for f in files) if files else candidate.size_bytes


def table_row(spec: dict, result: dict, manifest: Manifest) -> TableRow:
    if spec["role"] == "baseline":
        runtime, precision, size, acc = spec["kind"], "fp32", spec["source"].get("size_bytes"), None
    else:
        c = manifest.get(spec["name"])
        runtime, precision, size = c.runtime, c.precision, model_size(Path(spec["bundle_dir"]), c)
        acc = c.accuracy.passed if c.accuracy else None
    row = TableRow(
        name=spec["name"],
        role=spec["role"],
        runtime=runtime,
        precision=precision,
        status="ok" if result.get("ok") else "failed",
        error=result.get("error", ""),
        size_bytes=size,
        accuracy_passed=acc,
    )
    if not result.get("ok"):
        return row
    runs = result["runs"]
    best = min(runs, key=lambda r: r["latency"]["p50_ms"])
    row.threads = best["threads"]
    row.load_s = runs[0]["load_s"]
    row.peak_rss_mb = result["peak_rss_mb"]
    row.latency = {**best["latency"], "attempts": best["attempts"], "noisy": best["noisy"]}
    row.batches = [{"threads": r["threads"], **b} for r in runs for b in r["batches"]]
    return row


def measure_all(target: Target, inputs_path: Path, params: BenchParams) -> list[TableRow]:
    settings = {
        "batch_sizes": params.batch_sizes,
        "threads": params.threads,
        "duration_s": params.duration_s,
        "warmup": 10,
        "max_cv": params.max_cv,
        "max_attempts": 3,
    }
    rows = []
    for spec in worker_specs(target.manifest, target.bundle_dir, inputs_path, settings):
        timeout = params.timeout_s or timeout_for(spec)
        rows.append(
            table_row(spec, run_worker(spec, timeout, params.worker_module), target.manifest)
        )
    baseline = next((r for r in rows if r.role == "baseline" and r.latency), None)
    for row in rows:
        if baseline and row.latency and row.latency["p50_ms"] > 0:
            row.speedup_vs_baseline = baseline.latency["p50_ms"] / row.latency["p50_ms"]
    return rows


def gate_rows(rows: list[TableRow], manifest: Manifest) -> list[BenchRow]:
    """The gate's view: every manifest candidate (measured or not) plus the baseline."""
    by_name = {r.name: r for r in rows}
    out = [
        BenchRow(name=r.name, role="baseline", measured=r.status == "ok")
        for r in rows
        if r.role == "baseline"
    ]
    for c in manifest.candidates:
        row = by_name.get(c.name)
        lat = row.latency if row else None
        out.append(
            BenchRow(
                name=c.name,
                status=c.status,
                accuracy_passed=c.accuracy.passed if c.accuracy else None,
                measured=bool(lat),
                error=(row.error if row else c.reason),
                p50_ms=lat["p50_ms"] if lat else None,
                p99_ms=lat["p99_ms"] if lat else None,
                threads=row.threads if row else None,
                best_throughput=max((b["throughput"] for b in row.batches), default=None)
                if row
                else None,
                size_bytes=row.size_bytes if row and row.size_bytes is not None else c.size_bytes,
            )
        )
    return out


def decide(
    rows: list[TableRow], manifest: Manifest, params: BenchParams
) -> tuple[SelectionOutcome, Selection | None]:
    outcome = select(gate_rows(rows, manifest), params.slo_p99_ms, params.min_throughput)
    if not outcome.passed:
        return outcome, None
    winner = next(r for r in rows if r.name == outcome.candidate)
    selection = Selection(
        candidate=outcome.candidate,
        slo_p99_ms=params.slo_p99_ms,
        min_throughput=params.min_throughput,
        why=outcome.why,
        losers=outcome.losers,
        threads=winner.threads,
        p50_ms=winner.latency["p50_ms"],
        p99_ms=winner.latency["p99_ms"],
    )
    return outcome, selection


def write_selection(
    target: Target,
    rows: list[TableRow],
    host: dict,
    params: BenchParams,
    selection: Selection | None,
) -> Path | None:
    """benchmark-latency's one write: the table and host into `manifest.benchmark`, the choice
    into `manifest.selection` (cleared when no candidate passed), in the candidate directory's
    manifest. Its own named step (the flow calls it after the decision), never a side effect of
    measuring or deciding. None for a single model file (there is no manifest to update)."""
    from slipway.layout import read_manifest, write_manifest

    if target.manifest_path is None:
        return None
    manifest = read_manifest(target.bundle_dir)
    manifest.benchmark = {
        "rows": [r.model_dump(mode="json") for r in rows],
        "host": host,
        "params": params.model_dump(mode="json", exclude={"candidate_dir", "worker_module"}),
    }
    manifest.selection = selection
    return write_manifest(target.bundle_dir, manifest)
