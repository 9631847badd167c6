"""Tasks of the `register-version` flow: thin wrappers over slipway.register.stage."""

from __future__ import annotations

import json
from pathlib import Path

from prefect import task

from slipway.core.contract import ServingContract
from slipway.errors import BadInput

CONTRACT_FILE = "serving_contract.json"
REPORT_FILE = "validation_report.json"
TRAIN_FILE = "train_result.json"


def _read_json(path: Path, what: str) -> dict:
    if not path.is_file():
        raise BadInput(f"{path}: no such {what} file")
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise BadInput(f"{path}: the {what} is not JSON ({exc})") from None


def _given_or_beside(given: str | None, candidate_dir: Path, default: str) -> Path | None:
    if given:
        return Path(given)
    beside = candidate_dir / default
    return beside if beside.is_file() else None


@task(name="load-evidence-inputs")
def load_inputs(candidate_dir: str, contract_path: str | None, validation_report_path: str | None,
                train_run_id: str | None) -> tuple[ServingContract | None, dict | None, dict | None]:
    """The contract, validation report and train result: given paths, else the files in the candidate dir."""
    base = Path(candidate_dir)
    contract_file = _given_or_beside(contract_path, base, CONTRACT_FILE)
    contract = None
    if contract_file is not None:
        try:
            contract = ServingContract.model_validate(_read_json(contract_file, "serving contract"))
        except ValueError as exc:
            raise BadInput(f"{contract_file}: not a serving contract ({str(exc).splitlines()[0]})") from None
    report_file = _given_or_beside(validation_report_path, base, REPORT_FILE)
    report = _read_json(report_file, "validation report") if report_file else None
    train_file = _given_or_beside(None, base, TRAIN_FILE)
    train = _read_json(train_file, "train result") if train_file else None
    if train_run_id:
        train = train_result_of_run(train_run_id) if not train or train.get("run_id") != train_run_id else train
    return contract, report, train


def train_result_of_run(run_id: str) -> dict:
    """The `train_result.json` that the train flow logged on its MLflow run."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from slipway.tracking import configure_mlflow

    configure_mlflow()
    try:
        return mlflow.artifacts.load_dict(f"runs:/{run_id}/{TRAIN_FILE}")
    except MlflowException:
        raise BadInput(f"training run {run_id}: no {TRAIN_FILE} on that MLflow run (is it a `slipway train` run?)") from None


@task(name="register-candidate")
def register(candidate_dir: str, name: str, contract, report, train, reference_data: str | None):
    from slipway.register.stage import register_candidate

    return register_candidate(candidate_dir, name, contract=contract, validation_report=report,
                              train_result=train, reference_data=reference_data)
