"""Tasks of the `validate-data` flow: thin wrappers over slipway.validation.

Frames are passed in memory, so these tasks do not cache on their inputs (hashing a
million-row frame would cost more than the validation).
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from slipway.core.contract import ServingContract
from slipway.core.validation import SuiteSpec, ValidationReport, markdown_table
from slipway.validation.params import ValidateParams


@task(name="load-frame", cache_policy=NO_CACHE)
def load_frame(ref: str, role: str, params: ValidateParams | None = None):
    """The table; for an image model (`params.input_shape`) its per-image summaries."""
    from slipway.validation.loading import load_frame as load

    frame = load(ref, role)
    if params is not None and params.input_shape:
        from slipway.validation.images import summary_frame

        return summary_frame(frame, params.target_column, params.input_shape, f"{role} {ref}")
    return frame


@task(name="resolve-suite", cache_policy=NO_CACHE)
def resolve_suite(params: ValidateParams, reference) -> SuiteSpec:
    """The suite YAML when given, else one derived from the reference; saved when asked."""
    from slipway.core.derivation import derive_suite
    from slipway.validation.suites import load_suite, save_suite

    if params.suite:
        suite = load_suite(params.suite)
    else:
        suite = derive_suite(
            reference, name="derived-from-reference", origin=f"reference {params.reference}"
        )
    if params.save_suite:
        save_suite(suite, params.save_suite)
    return suite


@task(name="run-expectations", cache_policy=NO_CACHE)
def run_expectations(frame, suite: SuiteSpec, data_ref: str) -> ValidationReport:
    from slipway.data import fingerprint
    from slipway.validation.gx_runner import run_suite

    return run_suite(frame, suite, data_ref, data_fingerprint=fingerprint(frame))


@task(name="build-contract", cache_policy=NO_CACHE)
def make_contract(reference, suite: SuiteSpec, params: ValidateParams) -> ServingContract:
    from slipway.core.derivation import build_contract
    from slipway.data import fingerprint

    source = {
        "reference": str(params.reference),
        "reference_sha256": fingerprint(reference),
        "suite": suite.name,
    }
    if params.input_shape:
        from slipway.validation.images import tensor_contract

        return tensor_contract(
            reference, params.target_column, params.input_shape, params.input_name, source
        )
    return build_contract(
        reference, suite, params.target_column, params.input_name, params.input_dtype, source
    )


@task(name="publish-validation", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def publish_validation(
    report: ValidationReport, suite: SuiteSpec, contract: ServingContract | None
) -> dict[str, str]:
    """Report, suite and contract to the store; report to MLflow when a run is active."""
    from slipway.store import open_store
    from slipway.validation.publish import log_to_mlflow, new_validation_id, store_outputs

    uris = store_outputs(open_store(), new_validation_id(), report, suite, contract)
    run_id = log_to_mlflow(report, contract, uris)
    if run_id:
        uris["mlflow_run_id"] = run_id
    return uris


@task(name="report-artifact", cache_policy=NO_CACHE)
def report_artifact(report: ValidationReport) -> None:
    """The report as a markdown table in the Prefect UI."""
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(
        markdown=markdown_table(report), key="validation-report", description=report.summary
    )
