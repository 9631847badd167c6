"""Tasks of the `register-version` flow: thin wrappers over slipway.register."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.transactions import transaction

from slipway import events, layout
from slipway.core.contract import ServingContract
from slipway.core.evidence import GateResult
from slipway.core.layout import SERVING_CONTRACT, TRAIN_RESULT, VALIDATION_REPORT
from slipway.core.train_result import TrainResult
from slipway.core.validation import ValidationReport
from slipway.register import stage
from slipway.register.params import RegisterParams, RegisterResult
from slipway.registry import open_registry


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
    from slipway.tracking import load_run_dict

    data = load_run_dict(run_id, TRAIN_RESULT, "is it a `slipway train` run?", what="training run")
    return TrainResult.model_validate(data)


def register_candidate(
    candidate_dir: str | Path,
    name: str,
    *,
    contract: ServingContract | None,
    validation_report: ValidationReport | None = None,
    train_result: TrainResult | None = None,
    reference_data: str | Path | None = None,
    champion_gates: dict[str, GateResult] | None = None,
) -> RegisterResult:
    """Plan, publish the bundle, create the version; the version is made in a transaction whose
    rollback hook deletes a half-created version and its run (the registry's compensation).
    Emits `slipway.model.version.registered` for a new version."""
    plan = stage.plan(
        candidate_dir,
        name,
        contract=contract,
        validation_report=validation_report,
        train_result=train_result,
        reference_data=reference_data,
        champion_gates=champion_gates,
    )
    registry = open_registry()
    found = stage.existing(registry, plan)
    if found is not None:
        return found
    run_id, evidence = stage.publish_bundle(plan)
    created: dict[str, str] = {}

    def delete_half_created(_txn) -> None:
        registry.delete_half_created(plan.name, created.get("version"), run_id)

    with transaction() as txn:
        txn.stage(run_id, on_rollback_hooks=[delete_half_created])
        version = stage.create_version(registry, plan, run_id, evidence, created)
    events.emit(
        events.REGISTERED,
        plan.name,
        version,
        {"run_id": run_id, "sha256": plan.sha256, "candidate": plan.selected.name},
    )
    return stage.result_of(plan, version, run_id)


@task(name="register-candidate")
def register(
    params: RegisterParams,
    contract: ServingContract | None,
    report: ValidationReport | None,
    train: TrainResult | None,
) -> RegisterResult:
    return register_candidate(
        params.candidate_dir,
        params.name,
        contract=contract,
        validation_report=report,
        train_result=train,
        reference_data=params.reference_data,
        champion_gates=params.champion_gates,
    )
