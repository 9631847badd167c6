"""Parameters and result of the register-version stage (the Prefect form and the typed result)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RegisterParams(BaseModel):
    candidate_dir: str = Field(description="candidate directory with manifest.json and a selection")
    name: str = Field(description="registered model name")
    contract_path: str | None = Field(None, description="serving_contract.json (default: the one in candidate_dir)")
    validation_report_path: str | None = Field(None, description="validate-data report JSON (default: candidate_dir/validation_report.json)")
    train_run_id: str | None = Field(None, description="MLflow run id of the training run (lineage)")
    reference_data: str | None = Field(None, description="reference data (default: the train result's reference split)")


class RegisterResult(BaseModel):
    name: str
    version: str
    run_id: str
    created: bool
    """False when this artifact (same sha256) was already registered under the name."""
    sha256: str
    summary: str
