"""Parameters and result of compare-with-champion (the Prefect form and the typed result)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from slipway.core.contract import ServingContract
from slipway.core.evidence import GateResult


class CompareParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="registered model name (its `champion` is compared)")
    candidate_dir: str = Field(description="candidate directory with a selection")
    eval_data: str = Field(description="labelled eval rows both models predict")
    target_column: str
    contract: ServingContract | None = Field(
        None, description="the candidate's serving contract (validate-data's)"
    )
    max_regression: float = Field(
        0.0,
        ge=0,
        description="how much worse than the champion the candidate may be (metric units; "
        "0.01 = 1 accuracy point), beyond sampling noise",
    )
    require_improvement: bool = Field(
        False, description="refuse unless the candidate is significantly better"
    )
    alpha: float = Field(0.05, gt=0, lt=1, description="significance level of the paired test")
    regression_metric: Literal["mae", "rmse"] = "mae"
    allow_contract_change: bool = Field(
        False, description="ship a contract that would refuse requests the champion accepts"
    )
    widen_ranges: bool = Field(
        True,
        description="a numeric range narrower than the champion's (derived from a smaller "
        "reference sample) is widened to the champion's instead of failing the gate",
    )


class CompareResult(BaseModel):
    champion_version: str | None = None
    gates: dict[str, GateResult] = Field(default_factory=dict)
    """champion_comparison and contract_compatibility; empty when there is no champion."""
    contract: ServingContract | None = None
    """The candidate's contract to register (widened to the champion's ranges when allowed)."""
    comparison: dict | None = None
    summary: str
