"""`register-version`: the selected candidate and all its evidence become an MLflow model version."""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from slipway.registration import RegisterResult
from tasks.register_version import load_inputs, register


class RegisterParams(BaseModel):
    candidate_dir: str = Field(description="candidate directory with manifest.json and a selection")
    name: str = Field(description="registered model name")
    contract_path: str | None = Field(None, description="serving_contract.json (default: the one in candidate_dir)")
    validation_report_path: str | None = Field(None, description="validate-data report JSON (default: candidate_dir/validation_report.json)")
    train_run_id: str | None = Field(None, description="MLflow run id of the training run (lineage)")
    reference_data: str | None = Field(None, description="reference data (default: the train result's reference split)")


@flow(name="register-version", log_prints=True)
def register_version(params: RegisterParams) -> RegisterResult:
    contract, report, train = load_inputs(params.candidate_dir, params.contract_path,
                                          params.validation_report_path, params.train_run_id)
    result = register(params.candidate_dir, params.name, contract, report, train, params.reference_data)
    print(result.summary if result.created else f"nothing new: {result.summary}")
    return result


if __name__ == "__main__":
    import sys

    register_version(RegisterParams(candidate_dir=sys.argv[1], name=sys.argv[2]))
