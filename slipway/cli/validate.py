"""`slipway validate`: run the `validate-data` gate on a CSV/Parquet file."""

from __future__ import annotations

import sys

from slipway.cli._output import (
    INPUT_SHAPE_HELP,
    add_json_flag,
    emit_json,
    parse_shape,
    quiet_prefect_for_json,
)


def register(sub, common) -> None:
    p = sub.add_parser(
        "validate",
        parents=[common],
        help="validate data with Great Expectations against a reference or a suite (the first "
        "release gate)",
        description="Exit 0 when no critical expectation fails, 1 when the gate fails (failing "
        "expectations listed, column first), 2 on bad input. With both --reference and --suite, "
        "the suite is used and the reference gives the serving contract.",
    )
    p.add_argument(
        "data", metavar="DATA", help="CSV or Parquet: a path, s3://bucket/key or store:KEY"
    )
    p.add_argument(
        "--reference", metavar="REF", help="reference data: the suite is derived from it"
    )
    p.add_argument("--suite", metavar="SUITE.yaml", help="an expectation suite YAML file")
    p.add_argument(
        "--target-column", metavar="COL", help="the label column (left out of the serving contract)"
    )
    p.add_argument(
        "--save-suite", metavar="OUT.yaml", help="write the suite used to this YAML file"
    )
    p.add_argument("--input-shape", metavar="C,H,W", help=INPUT_SHAPE_HELP)
    p.add_argument(
        "--contract-out",
        metavar="PATH",
        help="also write the serving contract JSON here (needs --reference)",
    )
    add_json_flag(p)
    p.set_defaults(handler=handle)


def _params(args):
    from slipway.errors import BadInput
    from slipway.validation.params import ValidateParams

    if not args.reference and not args.suite:
        raise BadInput("validate: give --reference REF (derive the suite) or --suite SUITE.yaml")
    if args.contract_out and not args.reference:
        raise BadInput(
            "--contract-out needs --reference: the contract is built from the reference data"
        )
    return ValidateParams(
        data=args.data,
        reference=args.reference,
        suite=args.suite,
        target_column=args.target_column,
        save_suite=args.save_suite,
        input_shape=parse_shape(args.input_shape),
    )


def _print_text(result) -> None:
    report = result.report
    print(report.summary)
    for line in report.failure_lines("warning"):
        print(f"  warning: {line}")
    print(f"report:   {result.report_uri}")
    if result.contract_uri:
        print(f"contract: {result.contract_uri}")


class _DropRunErrors:
    """A logging filter: Prefect's flow/task-run error records (the CLI prints its own one line)."""

    def filter(self, record) -> bool:
        import logging

        return record.levelno < logging.ERROR


def _quiet_run_errors(args) -> None:
    if args.debug:
        return
    import logging

    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).addFilter(_DropRunErrors())


def handle(args) -> int:
    quiet_prefect_for_json(args)
    _quiet_run_errors(args)
    from pathlib import Path

    from flows.validate_data import validate_data
    from slipway.errors import BadInput, GateFailed

    params = _params(args)
    from slipway.cli.preflight import require, require_files

    require_files(args.data, what="data")
    require_files(args.reference, what="reference data")
    require_files(args.suite, what="suite")
    require(store=True)
    try:
        result = validate_data(params)
    except GateFailed as exc:
        report = exc.report
        if args.json:
            emit_json({"success": False, "report": report, "summary": report.summary})
        print(report.summary, file=sys.stderr)
        for line in report.failure_lines("critical"):
            print(f"  FAIL {line}", file=sys.stderr)
        return exc.exit_code
    if args.contract_out and result.contract is not None:
        out = Path(args.contract_out)
        if not out.parent.exists():
            raise BadInput(f"--contract-out {out}: the folder {out.parent} does not exist")
        out.write_text(result.contract.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if args.json:
        emit_json({"success": True, **result.model_dump(mode="json")})
    else:
        _print_text(result)
    return 0
