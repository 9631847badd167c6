"""Parameters and result of the release (the Prefect form and the typed result), and the
parameters it hands each stage."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from slipway.canary.params import DEFAULT_GATEWAY_URL, CanaryParams
from slipway.compare.params import CompareParams
from slipway.convert.params import ALL_TARGETS, OptimizeParams
from slipway.core.canary import CanaryPolicy
from slipway.core.train_result import TrainResult
from slipway.latency.params import BenchParams
from slipway.train.params import TrainParams
from slipway.validation.params import ValidateParams


class CanaryOptions(BaseModel):
    """How a release that finds a champion rolls the new version out (see `canary-release`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: Literal["canary", "blue-green"] = Field(
        "canary",
        description="canary: traffic in increasing steps; blue-green: warmed beside the "
        "champion, then all traffic at once with a bake window",
    )
    gateway_url: str = Field(
        DEFAULT_GATEWAY_URL, description="a gateway serving the model; its /metrics is read"
    )
    prometheus_url: str | None = Field(
        None, description="read metrics from this Prometheus instead"
    )
    steps: list[int] = Field(default_factory=lambda: [5, 25, 50, 100])
    interval_s: float = Field(60.0, gt=0)
    bake_s: float | None = Field(
        None, gt=0, description="blue-green: the bake window at 100 % (default: interval_s)"
    )
    warm_timeout_s: float = Field(
        60.0, gt=0, description="blue-green: how long the gateways may take to load the version"
    )
    shadow_s: float | None = Field(None, gt=0)
    settle_s: float = Field(5.0, ge=0)
    policy: CanaryPolicy = Field(default_factory=CanaryPolicy)


class ModelSource(BaseModel):
    """What every gate works on: the model and its labelled data (from the user, or from train)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    eval_data: str
    reference_data: str
    target_column: str
    trained: TrainResult | None = None
    """train's result when the release trained the model (lineage, fingerprints)."""
    input_shape: list[int] | None = None
    """Tensor models: one item's shape (e.g. [1, 32, 32]); the tables hold flattened items."""


class ReleaseParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_name: str = Field("digits-mlp", description="registered model name")
    model: str | None = Field(
        None,
        description="the model to release: a .skops, .onnx, .pt2 / TorchScript file, s3://, or "
        "an MLflow URI (models:/NAME/VERSION, models:/NAME@alias, runs:/RUN/PATH) of the "
        "sklearn, pytorch or onnx flavor. Empty: train the example model (`train`)",
    )
    eval_data: str | None = Field(
        None, description="labelled eval rows (CSV/Parquet, s3:// or store:KEY); with `model`"
    )
    reference_data: str | None = Field(
        None,
        description="the data the model was trained for: derives the suite, the serving "
        "contract and the drift reference; with `model`",
    )
    target_column: str | None = Field(None, description="the label column; with `model`")
    input_shape: list[int] | None = Field(
        None,
        description="tensor models (e.g. a CNN): one item's shape such as [1, 32, 32]; the "
        "eval/reference tables then hold flattened items; with `model`",
    )
    train: TrainParams | None = Field(
        None, description="train the example model (the default when `model` is empty)"
    )
    trust_pickle: bool = Field(
        False, description="allow a pickle/joblib model (unpickling runs code from the file)"
    )
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
    max_regression: float = Field(
        0.0,
        ge=0,
        description="champion comparison: how much worse than the champion the new version may "
        "be (metric units, 0.01 = 1 accuracy point) beyond sampling noise",
    )
    require_improvement: bool = Field(
        False, description="champion comparison: refuse unless significantly better"
    )
    allow_contract_change: bool = Field(
        False,
        description="contract compatibility: ship a contract that refuses requests the champion "
        "accepts (a feature removed/added, a dtype changed, a value set narrowed)",
    )
    widen_ranges: bool = Field(
        True,
        description="contract compatibility: a numeric range narrower than the champion's "
        "(derived from this release's reference sample) is widened to the champion's",
    )
    canary: CanaryOptions | None = Field(
        None,
        description="a champion exists: run canary-release inline with these options. Leave empty "
        "when the canary-release deployment is triggered by the registered event",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if data.get("model"):
            if data.get("train") is not None:
                raise ValueError("give either `model` (a model to release) or `train`, not both")
            missing = [
                k for k in ("eval_data", "reference_data", "target_column") if not data.get(k)
            ]
            if missing:
                raise ValueError(
                    f"a release of `model` needs {', '.join(missing)} (the labelled eval rows, "
                    "the data it was trained for, the label column)"
                )
        elif data.get("train") is None:
            data = {**data, "train": TrainParams()}
        return data

    def source(self, trained: TrainResult | None = None) -> ModelSource:
        """The model and data every gate works on: the given model, or train's result."""
        if trained is not None:
            return ModelSource(
                model=trained.model_uri,
                eval_data=trained.data_uris["eval"],
                reference_data=trained.data_uris["reference"],
                target_column=trained.target_column,
                trained=trained,
                input_shape=trained.input_shape,
            )
        assert self.model and self.eval_data and self.reference_data and self.target_column
        return ModelSource(
            model=self.model,
            eval_data=self.eval_data,
            reference_data=self.reference_data,
            target_column=self.target_column,
            input_shape=self.input_shape,
        )

    def validate_params(self, source: ModelSource) -> ValidateParams:
        """validate-data on the eval rows, the suite derived from the reference data."""
        return ValidateParams(
            data=source.eval_data,
            reference=source.reference_data,
            target_column=source.target_column,
            input_shape=source.input_shape,
        )

    def optimize_params(self, source: ModelSource) -> OptimizeParams:
        return OptimizeParams(
            model=source.model,
            eval_data=source.eval_data,
            target_column=source.target_column,
            targets=self.targets,
            max_accuracy_drop=self.max_accuracy_drop,
            trust_pickle=self.trust_pickle,
            input_shape=source.input_shape,
        )

    def compare_params(self, candidate_dir: str, source: ModelSource, contract) -> CompareParams:
        return CompareParams(
            name=self.model_name,
            candidate_dir=candidate_dir,
            eval_data=source.eval_data,
            target_column=source.target_column,
            contract=contract,
            max_regression=self.max_regression,
            require_improvement=self.require_improvement,
            allow_contract_change=self.allow_contract_change,
            widen_ranges=self.widen_ranges,
        )

    def bench_params(self, candidate_dir: str, source: ModelSource) -> BenchParams:
        return BenchParams(
            candidate_dir=candidate_dir,
            eval_data=source.eval_data,
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
