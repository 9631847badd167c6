"""Tasks of the `convert-and-quantize` flow: thin wrappers over slipway.convert."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from slipway.convert import stage
from slipway.convert.params import OptimizeParams
from slipway.convert.prepare import Prepared, prepare
from slipway.core.layout import MANIFEST
from slipway.core.manifest import Candidate, Manifest


@task(name="prepare-inputs", cache_policy=NO_CACHE)
def prepare_inputs(params: OptimizeParams) -> Prepared:
    """Load and hash the model, check the eval data against it, convert to the FP32 ONNX
    reference."""
    return prepare(params)


@task(name="fp32-baseline", cache_policy=NO_CACHE)
def fp32_baseline(prep: Prepared) -> float:
    return stage.baseline(prep)


@task(name="build-candidate", task_run_name="build-{name}", cache_policy=NO_CACHE)
def build_candidate(name: str, prep: Prepared, params: OptimizeParams, base: float) -> Candidate:
    return stage.build_and_score(name, prep, params, base)


@task(name="write-manifest", cache_policy=NO_CACHE)
def write_manifest(prep: Prepared, params: OptimizeParams, candidates: list[Candidate]) -> Manifest:
    return stage.assemble(prep, params, candidates)


@task(name="log-manifest", cache_policy=NO_CACHE)
def log_manifest(manifest: Manifest, out: Path, params: OptimizeParams) -> str:
    """An MLflow run with the manifest, per-candidate metrics and the gate settings; returns its
    id."""
    from slipway.tracking import stage_run

    params_logged = {
        "model": params.model,
        "targets": ",".join(params.targets),
        "max_accuracy_drop": params.max_accuracy_drop,
        "parity_max_abs_error": params.parity_max_abs_error,
        "candidate_dir": str(out),
    }
    metrics: dict[str, float] = {}
    run_tags = {"slipway.source.sha256": manifest.source.get("sha256", "")}
    for c in manifest.candidates:
        if c.accuracy:
            metrics[f"{c.name}.{c.accuracy.metric}"] = c.accuracy.value
            metrics[f"{c.name}.accuracy_drop"] = c.accuracy.drop
        if c.parity and c.parity.top1_agreement is not None:
            metrics[f"{c.name}.top1_agreement"] = c.parity.top1_agreement
        run_tags[f"slipway.candidate.{c.name}"] = c.status
    with stage_run("convert-and-quantize", params=params_logged, tags=run_tags) as run:
        run.log_metrics(metrics)
        run.log_dict(manifest.model_dump(mode="json"), MANIFEST)
    return run.run_id


def table_rows(manifest: Manifest) -> list[dict]:
    rows = []
    for c in manifest.candidates:
        rows.append(
            {
                "candidate": c.name,
                "status": c.status,
                "runtime": c.runtime,
                "precision": c.precision,
                "size_kb": round(c.size_bytes / 1024, 1) if c.size_bytes else None,
                "top1_agreement": c.parity.top1_agreement if c.parity else None,
                "max_abs_error": max(c.parity.max_abs_error.values())
                if c.parity and c.parity.max_abs_error
                else None,
                "metric": f"{c.accuracy.metric} {c.accuracy.value:.4f}" if c.accuracy else None,
                "drop": round(c.accuracy.drop, 4) if c.accuracy else None,
                "reason": c.reason,
            }
        )
    return rows


@task(name="publish-candidate-table", cache_policy=NO_CACHE)
def publish_table(manifest: Manifest) -> None:
    from prefect.artifacts import create_table_artifact

    create_table_artifact(
        key="convert-and-quantize",
        table=table_rows(manifest),
        description=stage.summary_line(manifest),
    )


@task(name="discard-workdir", cache_policy=NO_CACHE)
def discard_workdir(prep: Prepared) -> None:
    stage.discard_workdir(prep)
