"""`benchmark-latency`: measure every candidate in its own process, gate on the SLO, choose what
ships."""

from __future__ import annotations

from prefect import flow

from slipway.errors import GateFailed
from slipway.latency import report
from slipway.latency.harness import baseline_skip_reason
from slipway.latency.params import BenchParams, BenchResult
from tasks.benchmark_latency import (
    load_candidates,
    measure_models,
    prepare_inputs,
    publish,
    record_host,
    report_dir,
    select_candidate,
    write_selection,
)


@flow(name="benchmark-latency", log_prints=True)
def benchmark_latency(params: BenchParams) -> BenchResult:
    out_dir = report_dir()
    target = load_candidates(params)
    inputs_path = prepare_inputs(target, params, out_dir)
    host = record_host(params)
    rows = measure_models(target, inputs_path, params)
    outcome, selection = select_candidate(rows, target, params)
    manifest_path = write_selection(target, rows, host, params, selection)
    files, run_id = publish(rows, host, outcome, selection, out_dir, params)
    result = BenchResult(
        passed=outcome.passed,
        rows=rows,
        host=host,
        selection=selection,
        outcome=outcome,
        chart_path=files["chart"],
        report_dir=str(out_dir),
        manifest_path=str(manifest_path) if manifest_path else None,
        baseline_note=baseline_skip_reason(target.manifest) or "",
        mlflow_run_id=run_id,
        summary=report.summary_line(rows, outcome),
    )
    print(result.summary)
    if not outcome.passed:
        raise GateFailed(
            f"{result.summary}\n\n{report.markdown_table(rows, outcome)}", report=result
        )
    return result


if __name__ == "__main__":
    import sys

    benchmark_latency(BenchParams(candidate_dir=sys.argv[1]))
