"""Tasks of the `register-version` flow: thin wrappers over slipway.register."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from slipway import layout
from slipway.core.contract import ServingContract
from slipway.core.layout import SERVING_CONTRACT, TRAIN_RESULT, VALIDATION_REPORT
from slipway.core.train_result import TrainResult
from slipway.core.validation import ValidationReport
from slipway.errors import BadInput
from slipway.register.params import RegisterParams, RegisterResult


@task(name="load-evidence-inputs")
def load_inputs(
    params: RegisterParams,
) -> tuple[ServingContract | None, ValidationReport | None, TrainResult | None]:
    """The contract, validation report and train result: the typed results the release handed
    over; on the command line's path, the files the user gave, else those beside the manifest."""
    base = Path(params.candidate_dir)
    contract = params.validation.contract if params.validation else None
    report = params.validation.report if params.validation else None
    if contract is None:
        path = params.contract_path or layout.beside_manifest(base, SERVING_CONTRACT)
        contract = layout.read_contract(path) if path else None
    if report is None:
        path = params.validation_report_path or layout.beside_manifest(base, VALIDATION_REPORT)
        report = layout.read_validation_report(path) if path else None
    train = params.train
    if train is None and (path := layout.beside_manifest(base, TRAIN_RESULT)):
        train = layout.read_train_result(path)
    if params.train_run_id and (train is None or train.run_id != params.train_run_id):
        train = train_result_of_run(params.train_run_id)
    return contract, report, train


def train_result_of_run(run_id: str) -> TrainResult:
    """The `train_result.json` that the train flow logged on its MLflow run."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from slipway.tracking import configure_mlflow

    configure_mlflow()
    try:
        data = mlflow.artifacts.load_dict(f"runs:/{run_id}/{TRAIN_RESULT}")
    except MlflowException:
        raise BadInput(
            f"training run {run_id}: no {TRAIN_RESULT} on that MLflow run "
            "(is it a `slipway train` run?)"
        ) from None
    return TrainResult.model_validate(data)


@task(name="register-candidate")
def register(
    params: RegisterParams,
    contract: ServingContract | None,
    report: ValidationReport | None,
    train: TrainResult | None,
) -> RegisterResult:
    from slipway.register.stage import register_candidate

    return register_candidate(
        params.candidate_dir,
        params.name,
        contract=contract,
        validation_report=report,
        train_result=train,
        reference_data=params.reference_data,
    )
