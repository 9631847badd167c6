"""Parameters and result of the release (the Prefect form and the typed result), and the
parameters it hands each stage."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from slipway.canary.params import DEFAULT_GATEWAY_URL, CanaryParams
from slipway.convert.params import ALL_TARGETS, OptimizeParams
from slipway.core.canary import CanaryPolicy
from slipway.core.train_result import TrainResult
from slipway.latency.params import BenchParams
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

    def validate_params(self, trained: TrainResult) -> ValidateParams:
        """validate-data on the eval split, the suite derived from the reference split."""
        return ValidateParams(
            data=trained.data_uris["eval"],
            reference=trained.data_uris["reference"],
            target_column=trained.target_column,
            input_shape=trained.input_shape,
        )

    def optimize_params(self, trained: TrainResult) -> OptimizeParams:
        return OptimizeParams(
            model=trained.model_uri,
            eval_data=trained.data_uris["eval"],
            target_column=trained.target_column,
            targets=self.targets,
            max_accuracy_drop=self.max_accuracy_drop,
            input_shape=trained.input_shape,
        )

    def bench_params(self, candidate_dir: str, trained: TrainResult) -> BenchParams:
        return BenchParams(
            candidate_dir=candidate_dir,
            eval_data=trained.data_uris["eval"],
            duration_s=self.bench_duration_s,
            slo_p99_ms=self.slo_p99_ms,
            batch_sizes=self.bench_batch_sizes,
            threads=self.bench_threads,
        )

    def canary_params(self, version: str) -> CanaryParams:
        assert self.canary is not None
        return CanaryParams(name=self.model_name, version=version, **self.canary.model_dump())


class ReleaseResult(BaseModel):
    model_name: str
    stages: dict[str, Any] = Field(default_factory=dict)
    """Stage name -> that stage's summary (a dict), in the order they ran."""
    version: str | None = None
    outcome: str = ""
    """promoted | canary-promoted | canary-rolled-back | already-champion | registered."""
