"""`convert-and-quantize`: ONNX conversion with a parity gate, quantized candidates with an
accuracy gate."""

from __future__ import annotations

from prefect import flow

from slipway.convert.params import OptimizeParams, OptimizeResult
from slipway.convert.stage import require_accepted, summary_line
from tasks.convert_and_quantize import (
    build_candidate,
    discard_workdir,
    fp32_baseline,
    log_manifest,
    prepare_inputs,
    publish_table,
    write_manifest,
)


@flow(name="convert-and-quantize", log_prints=True)
def convert_and_quantize(params: OptimizeParams) -> OptimizeResult:
    prep = prepare_inputs(params)
    try:
        base = fp32_baseline(prep)
        candidates = [build_candidate(name, prep, params, base) for name in params.targets]
        manifest = write_manifest(prep, params, candidates)
    finally:
        discard_workdir(prep)
    run_id = log_manifest(manifest, prep.out, params)
    publish_table(manifest)
    summary = summary_line(manifest)
    print(f"{summary} -> {prep.out} (MLflow run {run_id})")
    require_accepted(manifest, prep.out)
    return OptimizeResult(
        candidate_dir=str(prep.out), manifest=manifest, summary=summary, mlflow_run_id=run_id
    )
