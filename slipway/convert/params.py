"""Parameters and result of the convert-and-quantize stage (the Prefect form and the typed
result)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from slipway.core.manifest import Manifest

ALL_TARGETS = (
    "onnx-fp32",
    "ort-int8-dynamic",
    "ort-int8-static",
    "openvino-fp32",
    "openvino-fp16",
    "openvino-int8",
    "tensorrt-fp16",
)


class OptimizeParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(
        description="model file (.skops, .onnx, .pt2, TorchScript), s3:// or MLflow URI (models:/, "
        "runs:/)"
    )
    eval_data: str = Field(description="labelled eval data: CSV/Parquet path, s3:// or store:KEY")
    target_column: str
    calibration_data: str | None = Field(
        None, description="calibration rows; default: a slice of the eval data"
    )
    targets: list[str] = Field(default_factory=lambda: list(ALL_TARGETS))
    max_accuracy_drop: float = Field(
        0.01, ge=0, le=1, description="largest allowed drop vs ONNX FP32 (0.01 = 1 point)"
    )
    parity_max_abs_error: float = Field(
        1e-3, gt=0, description="FP32 parity tolerance on probabilities"
    )
    out: str | None = Field(
        None, description="candidate directory; default <SLIPWAY_HOME>/candidates/<timestamp>"
    )
    trust_pickle: bool = Field(
        False, description="allow pickle/joblib models (they run code when loaded)"
    )
    input_shape: list[int] | None = Field(
        None,
        description="image/tensor models: one item's shape such as [1, 32, 32]; each data row "
        "is one flattened item (its feature columns, row-major)",
    )
    calibration_rows: int = Field(200, ge=1)
    nncf_subset_size: int = Field(300, ge=1)
    accuracy_control: bool = Field(
        False, description="NNCF quantize_with_accuracy_control for openvino-int8"
    )

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in ALL_TARGETS]
        if unknown:
            raise ValueError(
                f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(ALL_TARGETS)}"
            )
        if not value:
            raise ValueError("give at least one target")
        return list(dict.fromkeys(value))


class OptimizeResult(BaseModel):
    candidate_dir: str
    manifest: Manifest
    summary: str
    mlflow_run_id: str | None = None
