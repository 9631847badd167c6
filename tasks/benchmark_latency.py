"""Tasks of the `benchmark-latency` flow: thin wrappers over slipway.latency."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from prefect import task

from slipway.core.latency import SelectionOutcome
from slipway.core.manifest import Selection
from slipway.latency import inputs, report, stage
from slipway.latency.host import host_record
from slipway.latency.params import BenchParams, TableRow


@task(name="load-candidates")
def load_candidates(params: BenchParams) -> inputs.Target:
    return inputs.load_target(params.candidate_dir)


@task(name="prepare-inputs")
def prepare_inputs(target: inputs.Target, params: BenchParams, out_dir: Path) -> Path:
    import numpy as np

    rows = inputs.benchmark_inputs(target, params.eval_data)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "inputs.npy"
    np.save(path, rows)
    return path


@task(name="record-host")
def record_host(params: BenchParams) -> dict:
    return host_record(params.threads)


@task(name="measure-models")
def measure_models(target: inputs.Target, inputs_path: Path, params: BenchParams) -> list[TableRow]:
    return stage.measure_all(target, inputs_path, params)


@task(name="select-candidate")
def select_candidate(rows, target: inputs.Target, params: BenchParams):
    """The SLO gate and the choice (pure: nothing is written)."""
    return stage.decide(rows, target.manifest, params)


@task(name="write-selection")
def write_selection(
    target: inputs.Target, rows, host: dict, params: BenchParams, selection: Selection | None
) -> Path | None:
    """The table and the choice into the candidate manifest; its path (None for one model file)."""
    return stage.write_selection(target, rows, host, params, selection)


def report_dir() -> Path:
    from slipway.settings import get_settings

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return get_settings().reports_dir / "benchmark-latency" / stamp


@task(name="publish-benchmark")
def publish(
    rows,
    host: dict,
    outcome: SelectionOutcome,
    selection: Selection | None,
    out_dir: Path,
    params: BenchParams,
) -> tuple[dict[str, str], str | None]:
    """JSON, markdown and PNG into the report dir, Prefect artifacts, an MLflow run with metrics."""
    from prefect.artifacts import create_markdown_artifact

    from slipway.tracking import stage_run

    table = report.markdown_table(rows, outcome)
    files = {
        "json": out_dir / "benchmark.json",
        "markdown": out_dir / "benchmark.md",
        "chart": report.chart(rows, out_dir / "latency.png"),
    }
    files["json"].write_text(
        json.dumps(
            {
                "rows": [r.model_dump(mode="json") for r in rows],
                "host": host,
                "outcome": outcome.model_dump(mode="json"),
                "selection": selection.model_dump(mode="json") if selection else None,
            },
            indent=2,
        )
    )
    files["markdown"].write_text(table)
    create_markdown_artifact(
        key="benchmark-latency", markdown=table, description=report.summary_line(rows, outcome)
    )
    run_tags = {
        "slipway.gate.passed": str(outcome.passed).lower(),
        "slipway.selected": outcome.candidate or "",
        "slipway.host.cpu": host["cpu_model"],
    }
    logged = {
        "slo_p99_ms": params.slo_p99_ms,
        "min_throughput": params.min_throughput,
        "batch_sizes": ",".join(map(str, params.batch_sizes)),
        "threads": ",".join(map(str, params.threads)),
        "duration_s": params.duration_s,
    }
    metrics: dict[str, float] = {}
    for r in rows:
        if r.latency:
            key = r.name.replace("/", "_")
            metrics.update(
                {
                    f"{key}.p50_ms": r.latency["p50_ms"],
                    f"{key}.p99_ms": r.latency["p99_ms"],
                    f"{key}.peak_rss_mb": r.peak_rss_mb or 0.0,
                }
            )
            for b in r.batches:
                metrics[f"{key}.throughput.t{b['threads']}.b{b['batch']}"] = b["throughput"]
    with stage_run("benchmark-latency", params=logged, tags=run_tags) as run:
        run.log_metrics(metrics)
        for path in files.values():
            run.log_file(path, "benchmark")
        run.log_dict(host, "benchmark/host.json")
    return {k: str(v) for k, v in files.items()}, run.run_id
