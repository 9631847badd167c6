"""`validate-data`: the first release gate. Great Expectations on the data, a typed report, the
serving contract."""

from __future__ import annotations

from prefect import flow

from slipway.core.validation import gate_message
from slipway.errors import BadInput, GateFailed
from slipway.validation.params import ValidateParams, ValidationResult
from tasks.validate_data import (
    load_frame,
    make_contract,
    publish_validation,
    report_artifact,
    resolve_suite,
    run_expectations,
)


@flow(name="validate-data", log_prints=True)
def validate_data(params: ValidateParams) -> ValidationResult:
    if not params.reference and not params.suite:
        raise BadInput("validate-data needs a reference to derive the suite from, or a suite YAML")
    reference = load_frame(params.reference, "reference", params) if params.reference else None
    suite = resolve_suite(params, reference)
    frame = load_frame(params.data, "data", params)
    report = run_expectations(frame, suite, params.data)
    contract = make_contract(reference, suite, params) if reference is not None else None
    uris = publish_validation(report, suite, contract)
    report_artifact(report)
    print(report.summary)
    if params.fail_on_critical and not report.success:
        raise GateFailed(gate_message(report, uris["report"]), report=report)
    return ValidationResult(
        report=report,
        report_uri=uris["report"],
        contract=contract,
        contract_uri=uris.get("contract"),
        suite_uri=uris["suite"],
        summary=report.summary,
    )


if __name__ == "__main__":
    import sys

    validate_data(
        ValidateParams(data=sys.argv[1], reference=sys.argv[2] if len(sys.argv) > 2 else None)
    )
