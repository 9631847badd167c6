"""Parameters and results of the drift loop's flows: drift-monitor, retrain, rollback.

Pydantic models, so the Prefect UI shows a form for each deployment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from slipway.core.drift import Decision, DriftScores
from slipway.core.drift_policy import parse_duration

ActMode = Literal["auto", "deployment", "inline", "off"]


class MonitorParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_name: str = Field("digits-mlp", description="registered model name")
    window: str = Field(
        "24h", description="how far back production profiles count, e.g. '24h', '7d'"
    )
    policy: str | None = Field(
        None, description="drift policy YAML file (default: built-in defaults)"
    )
    labelled: str | None = Field(
        None,
        description="labelled recent production data (CSV/Parquet, path or store:KEY) for "
        "performance",
    )
    variants: tuple[str, ...] = Field(
        ("champion",), description="gateway variants whose profiles count"
    )
    act: ActMode = Field(
        "auto",
        description="open retrain/rollback: auto (deployment if it exists, else the flow inline), "
        "deployment, inline, or off (decide only)",
    )
    retrain_reference: str = Field("digits", description="reference training data for a retrain")
    retrain_arch: Literal["mlp", "cnn"] = Field(
        "mlp", description="what a retrain trains: the MLP or the image CNN (see `train`)"
    )
    retrain_targets: tuple[str, ...] = Field(
        (), description="convert-and-quantize targets of a retrain (default: all)"
    )
    now: datetime | None = Field(
        None, description="end of the window (default: now, UTC); for replays"
    )

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_duration(value)
        return value


class ActionRecord(BaseModel):
    action: Literal["retrain", "rollback"]
    via: Literal["deployment", "inline"]
    flow_run_id: str | None = None
    state: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class MonitorResult(BaseModel):
    model_name: str
    version: str | None
    window_start: datetime
    window_end: datetime
    profiles: list[str] = Field(default_factory=list)
    skipped: dict[str, str] = Field(default_factory=dict)
    scores: DriftScores | None = None
    decision: Decision
    action: ActionRecord | None = None
    event_id: str | None = None
    """The Prefect event emitted (slipway.drift.detected or slipway.drift.no_data); None for
    `none`."""
    report: dict[str, str] = Field(default_factory=dict)
    """Where the report went: json (store URI), png, markdown (local paths), mlflow_run_id."""


class RetrainParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_name: str = Field("digits-mlp", description="registered model name")
    reference: str = Field(
        "digits", description="reference training data: 'digits' or CSV/Parquet (with label)"
    )
    labelled: str | None = Field(
        None, description="the recent labelled window (CSV/Parquet, path or store:KEY)"
    )
    target_column: str = "digit"
    arch: Literal["mlp", "cnn"] = Field(
        "mlp", description="mlp, or cnn: the image CNN on 'digits' as 32x32 images"
    )
    epochs: int = Field(8, ge=1, description="cnn: training epochs")
    labelled_share: float = Field(
        0.5, gt=0, lt=1, description="share of the training set made of labelled window rows"
    )
    holdout: float = Field(
        0.3, gt=0, lt=1, description="share of the labelled window held out for the comparison"
    )
    max_regression: float = Field(
        0.0, ge=0, le=1, description="held-out comparison: how much worse the new version may be"
    )
    alpha: float = Field(0.05, gt=0, lt=1, description="held-out comparison: the test's level")
    seed: int = Field(0, description="split, resampling and training seed")
    max_iter: int = Field(300, ge=1)
    hidden_layers: tuple[int, ...] = (256, 128)
    targets: list[str] | None = Field(
        None, description="convert-and-quantize targets (default: all)"
    )
    reason: str = Field("", description="why (the monitor's decision)")

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, value: list[str] | None) -> list[str] | None:
        from slipway.convert.params import ALL_TARGETS

        unknown = [t for t in value or [] if t not in ALL_TARGETS]
        if unknown:
            raise ValueError(
                f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(ALL_TARGETS)}"
            )
        return value


class RetrainResult(BaseModel):
    model_name: str
    dataset: str
    rows: dict[str, int]
    release: dict[str, Any]
    version: str | None = None
    champion: str | None = None
    """The champion the retrained version was compared with (None: there was none)."""
    holdout: dict[str, Any] | None = None
    """`Comparison.as_dict()` on the held-out labelled rows (candidate = the retrained one)."""
    accepted: bool | None = None
    """The held-out comparison passed (None: not compared); a failed one rejects the version."""
    summary: str = ""


class RollbackParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_name: str = Field("digits-mlp", description="registered model name")
    reason: str = Field("rolled back by an operator", description="recorded on the demoted version")


class RollbackResult(BaseModel):
    model_name: str
    champion: str
    demoted: str
    reason: str
