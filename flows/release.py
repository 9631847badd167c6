"""`release`: the whole DAG, one stage after another; a failing gate stops it.

train -> validate-data -> convert-and-quantize -> benchmark-latency -> register-version
-> (first version: guarded promote | later versions: canary-release).

Every stage is its own flow (a subflow run here, with its own page in the Prefect UI) and
gives a typed result; this flow hands each stage what the previous ones produced and keeps a
short summary per stage. A gate that fails raises `GateFailed` with its report: the release
stops there, nothing after it runs, and nothing is registered or promoted.
"""

from __future__ import annotations

import json
from typing import Any

from prefect import flow
from pydantic import BaseModel, ConfigDict, Field

from flows.benchmark_latency import benchmark_latency
from flows.convert_and_quantize import convert_and_quantize
from flows.register_version import register_version
from flows.train import train
from flows.validate_data import validate_data
from slipway.canary.params import DEFAULT_GATEWAY_URL
from slipway.convert.params import ALL_TARGETS, OptimizeParams
from slipway.core.canary import CanaryPolicy
from slipway.latency.params import BenchParams
from slipway.register.params import RegisterParams
from slipway.train.params import TrainParams
from slipway.validation.params import ValidateParams


class CanaryOptions(BaseModel):
    """How a release that finds a champion rolls the new version out (see `canary-release`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gateway_url: str = Field(
        DEFAULT_GATEWAY_URL, description="a gateway serving the model; its /metrics is read"
    )
    prometheus_url: str | None = Field(
        None, description="read metrics from this Prometheus instead"
    )
    steps: list[int] = Field(default_factory=lambda: [5, 25, 50, 100])
    interval_s: float = Field(60.0, gt=0)
    shadow_s: float | None = Field(None, gt=0)
    settle_s: float = Field(5.0, ge=0)
    policy: CanaryPolicy = Field(default_factory=CanaryPolicy)


class ReleaseParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_name: str = Field("digits-mlp", description="registered model name")
    train: TrainParams = TrainParams()
    targets: list[str] = Field(
        default_factory=lambda: list(ALL_TARGETS), description="convert-and-quantize targets"
    )
    max_accuracy_drop: float = Field(
        0.01, ge=0, le=1, description="accuracy gate: largest drop vs ONNX FP32"
    )
    bench_duration_s: float = Field(0.2, gt=0, description="benchmark seconds per phase")
    bench_batch_sizes: list[int] = Field(
        default_factory=lambda: [1, 8, 32], description="benchmark batch sizes"
    )
    bench_threads: list[int] = Field(
        default_factory=lambda: [1, 2], description="benchmark intra-op threads"
    )
    slo_p99_ms: float = Field(50.0, gt=0, description="latency gate: batch-1 p99 SLO")
    promote_first: bool = Field(
        True,
        description="no champion yet: promote the new version through the "
        "guarded promote (every gate in its evidence must pass)",
    )
    canary: CanaryOptions | None = Field(
        None,
        description="a champion exists: run canary-release inline with these options. Leave empty "
        "when the canary-release deployment is triggered by the registered event",
    )


class ReleaseResult(BaseModel):
    model_name: str
    stages: dict[str, Any] = Field(default_factory=dict)
    """Stage name -> that stage's summary (a dict), in the order they ran."""
    version: str | None = None
    outcome: str = ""
    """promoted | canary-promoted | canary-rolled-back | already-champion | registered."""


def _short(data: dict, *keys: str) -> dict:
    return {k: data[k] for k in keys if k in data}


@flow(name="release", log_prints=True)
def release(params: ReleaseParams = ReleaseParams()) -> ReleaseResult:
    from slipway import registry

    result = ReleaseResult(model_name=params.model_name)
    trained = train(params.train)
    result.stages["train"] = _short(
        trained.model_dump(mode="json"),
        "run_id",
        "model_uri",
        "metrics",
        "parameter_count",
        "data_uris",
    )
    eval_uri, reference_uri = trained.data_uris["eval"], trained.data_uris["reference"]

    validation = validate_data(
        ValidateParams(data=eval_uri, reference=reference_uri, target_column=trained.target_column)
    )
    result.stages["validate-data"] = {
        "summary": validation.summary,
        "report": validation.report_uri,
        "contract": validation.contract_uri,
    }

    optimized = convert_and_quantize(
        OptimizeParams(
            model=trained.model_uri,
            eval_data=eval_uri,
            target_column=trained.target_column,
            targets=params.targets,
            max_accuracy_drop=params.max_accuracy_drop,
        )
    )
    result.stages["convert-and-quantize"] = {
        "summary": optimized.summary,
        "candidate_dir": optimized.candidate_dir,
        "mlflow_run_id": optimized.mlflow_run_id,
    }

    bench = benchmark_latency(
        BenchParams(
            candidate_dir=optimized.candidate_dir,
            eval_data=eval_uri,
            duration_s=params.bench_duration_s,
            slo_p99_ms=params.slo_p99_ms,
            batch_sizes=params.bench_batch_sizes,
            threads=params.bench_threads,
        )
    )
    result.stages["benchmark-latency"] = {
        "summary": bench.summary,
        "selected": bench.selection.candidate if bench.selection else None,
        "report_dir": bench.report_dir,
    }

    registered = register_version(
        RegisterParams(
            candidate_dir=optimized.candidate_dir,
            name=params.model_name,
            validation=validation,
            train=trained,
            reference_data=reference_uri,
        )
    )
    result.version = registered.version
    result.stages["register-version"] = _short(
        registered.model_dump(mode="json"), "version", "created", "run_id", "summary"
    )

    champion = registry.alias_version(params.model_name, registry.CHAMPION)
    if champion == registered.version:
        result.outcome = "already-champion"
        print(
            f"{params.model_name} version {registered.version} is already the champion: nothing to release"
        )
    elif champion is None and params.promote_first:
        promoted = registry.promote(
            params.model_name,
            registered.version,
            reason="first release: no champion to compare against; every gate passed",
        )
        result.outcome = "promoted"
        result.stages["promote"] = {
            "summary": f"{params.model_name} version {promoted.version} is the champion "
            "(first release, guarded promote)"
        }
    elif champion is not None and params.canary is not None:
        from flows.canary_release import canary_release
        from slipway.canary.params import CanaryParams

        options = params.canary.model_dump()
        canary = canary_release(
            CanaryParams(name=params.model_name, version=registered.version, **options)
        )
        result.outcome = "canary-promoted" if canary.decision == "promote" else "canary-rolled-back"
        result.stages["canary-release"] = {
            "summary": canary.summary,
            "decision": canary.decision,
            "lines": canary.lines(),
        }
    else:
        result.outcome = "registered"
        print(
            f"{params.model_name} version {registered.version} is registered with alias `candidate`; "
            "the canary-release deployment (triggered by the registered event) or "
            f"`slipway canary {params.model_name} {registered.version}` releases it"
        )
    print(
        json.dumps(
            {"model": params.model_name, "version": result.version, "outcome": result.outcome}
        )
    )
    return result


if __name__ == "__main__":
    release()
