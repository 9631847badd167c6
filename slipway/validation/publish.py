"""Where a validation report goes: the artifact store, and MLflow when a run is active."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from slipway.core.contract import ServingContract
from slipway.core.layout import SERVING_CONTRACT, VALIDATION_STORE_REPORT, VALIDATION_STORE_SUITE
from slipway.core.validation import SuiteSpec, ValidationReport
from slipway.store import ArtifactStore

REPORT_FILE = VALIDATION_STORE_REPORT
CONTRACT_FILE = SERVING_CONTRACT
SUITE_FILE = VALIDATION_STORE_SUITE


def new_validation_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def store_outputs(
    store: ArtifactStore,
    validation_id: str,
    report: ValidationReport,
    suite: SuiteSpec,
    contract: ServingContract | None,
) -> dict[str, str]:
    """Write report, suite and contract under `validation/<id>/`; their URIs by name."""
    from slipway.validation.suites import dump_suite

    prefix = f"validation/{validation_id}"
    uris = {
        "report": store.put_text(f"{prefix}/{REPORT_FILE}", report.model_dump_json(indent=2)),
        "suite": store.put_text(f"{prefix}/{SUITE_FILE}", dump_suite(suite)),
    }
    if contract is not None:
        uris["contract"] = store.put_text(
            f"{prefix}/{CONTRACT_FILE}", contract.model_dump_json(indent=2)
        )
    return uris


def log_to_mlflow(
    report: ValidationReport, contract: ServingContract | None, uris: dict[str, str]
) -> str | None:
    """Log the report (and contract) to the active MLflow run; its run id, or None when no run is
    active."""
    from slipway.tracking import active_run

    run = active_run()
    if run is None:
        return None
    run.log_dict(json.loads(report.model_dump_json()), f"validation/{REPORT_FILE}")
    if contract is not None:
        run.log_dict(json.loads(contract.model_dump_json()), f"validation/{CONTRACT_FILE}")
    run.log_metrics(
        {
            "validation_critical_failures": report.critical_failures,
            "validation_warnings": report.warnings,
            "validation_passed": report.passed,
        }
    )
    run.set_tags(
        {
            "slipway.validation.success": str(report.success).lower(),
            "slipway.validation.report_uri": uris["report"],
            "slipway.validation.suite": report.suite_name,
        }
    )
    return run.run_id
