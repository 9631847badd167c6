"""`slipway register`: run the `register-version` flow on a candidate directory."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json, quiet_prefect_for_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "register",
        parents=[common],
        help="register the selected candidate as an MLflow model version with its evidence",
    )
    p.add_argument(
        "candidate_dir",
        metavar="CANDIDATE_DIR",
        help="candidate directory (manifest.json with a selection)",
    )
    p.add_argument("--name", required=True, help="registered model name")
    p.add_argument("--contract", help="serving_contract.json (default: the one in CANDIDATE_DIR)")
    p.add_argument(
        "--validation-report",
        help="validate-data report JSON (default: CANDIDATE_DIR/validation_report.json)",
    )
    p.add_argument(
        "--train-run-id", help="MLflow run id of the training run (lineage, reference split)"
    )
    p.add_argument(
        "--reference-data",
        help="reference data CSV/Parquet (default: the training run's reference split)",
    )
    add_json_flag(p)
    p.set_defaults(handler=handle)


def handle(args) -> int:
    quiet_prefect_for_json(args)
    from pathlib import Path

    from slipway.errors import BadInput

    if not Path(args.candidate_dir).is_dir():
        raise BadInput(f"{args.candidate_dir}: no such candidate directory")
    from slipway.cli.preflight import require, require_files

    require_files(args.contract, what="serving contract")
    require_files(args.validation_report, what="validation report")
    require_files(args.reference_data, what="reference data")
    require(store=True)
    from flows.register_version import register_version
    from slipway.register.params import RegisterParams

    result = register_version(
        RegisterParams(
            candidate_dir=args.candidate_dir,
            name=args.name,
            contract_path=args.contract,
            validation_report_path=args.validation_report,
            train_run_id=args.train_run_id,
            reference_data=args.reference_data,
        )
    )
    if args.json:
        emit_json(result)
    else:
        print(("registered " if result.created else "already registered: ") + result.summary)
        print(f"run id:  {result.run_id}")
        print(f"sha256:  {result.sha256}")
    return 0
