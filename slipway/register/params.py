"""Parameters and result of the register-version stage (the Prefect form and the typed result).

The release hands over what the earlier stages gave, typed: validate-data's result (the data
gate's report and the serving contract) and train's result (lineage, data fingerprints, the
reference split). The `*_path` / `train_run_id` fields are the command line's way in, for a
user who passes files (`slipway register --contract ... --validation-report ...`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from slipway.core.evidence import GateResult
from slipway.core.train_result import TrainResult
from slipway.validation.params import ValidationResult


class RegisterParams(BaseModel):
    candidate_dir: str = Field(description="candidate directory with manifest.json and a selection")
    name: str = Field(description="registered model name")
    validation: ValidationResult | None = Field(
        None, description="validate-data's result: the data gate's report and the serving contract"
    )
    train: TrainResult | None = Field(
        None, description="train's result: lineage, data fingerprints, the reference split"
    )
    reference_data: str | None = Field(
        None, description="reference data (default: the train result's reference split)"
    )
    contract_path: str | None = Field(
        None, description="serving_contract.json (default: the one in candidate_dir)"
    )
    validation_report_path: str | None = Field(
        None,
        description="validate-data report JSON (default: candidate_dir/validation_report.json)",
    )
    train_run_id: str | None = Field(
        None, description="MLflow run id of the training run (lineage)"
    )
    champion_gates: dict[str, GateResult] = Field(
        default_factory=dict,
        description="compare-with-champion's gates (champion_comparison, "
        "contract_compatibility), recorded in the evidence",
    )


class RegisterResult(BaseModel):
    name: str
    version: str
    run_id: str
    created: bool
    """False when this artifact (same sha256) was already registered under the name."""
    sha256: str
    summary: str
