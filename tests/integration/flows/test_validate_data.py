"""The `validate-data` flow on the digits example: outputs in the store, MLflow and Prefect; the
gate."""

from __future__ import annotations

import json

import mlflow
import pytest

from flows.validate_data import validate_data
from slipway.core.validation import ValidationReport
from slipway.errors import BadInput, GateFailed
from slipway.store import open_store
from slipway.validation import ValidateParams
from tests.support.digits_data import corrupt, write_digits


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return write_digits(tmp_path_factory.mktemp("digits"))


@pytest.fixture(scope="module")
def small_digits(tmp_path_factory):
    """The first 16 pixels (the nan and infinity variants corrupt pixel_13 and pixel_14): fewer
    expectations."""
    return write_digits(tmp_path_factory.mktemp("small-digits"), pixels=16)


def test_clean_eval_passes_and_publishes_everything(digits, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from slipway.tracking import configure_mlflow

    experiment_id = configure_mlflow()  # start_run() alone would use experiment 0 and ./mlruns
    params = ValidateParams(
        data=str(digits["eval"]),
        reference=str(digits["reference"]),
        target_column="digit",
        save_suite=str(tmp_path / "suite.yaml"),
    )
    with mlflow.start_run(experiment_id=experiment_id) as run:
        result = validate_data(params)
    report = result.report
    assert report.success and report.critical_failures == 0 and report.rows == 359
    assert result.summary == report.summary and "PASSED" in result.summary

    stored = ValidationReport.model_validate_json(open_store().get_text(_key(result.report_uri)))
    assert stored == report
    contract = json.loads(open_store().get_text(_key(result.contract_uri)))
    names = [f["name"] for f in contract["features"]]
    assert names == [f"pixel_{i:02d}" for i in range(64)] and "digit" not in names
    assert contract["input_name"] == "input" and contract["input_dtype"] == "float32"
    assert result.contract.source["reference_sha256"]
    assert (tmp_path / "suite.yaml").read_text().startswith("format_version: 1")

    data = mlflow.get_run(run.info.run_id).data
    assert data.tags["slipway.validation.success"] == "true"
    assert data.tags["slipway.validation.report_uri"] == result.report_uri
    artifacts = [
        a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "validation")
    ]
    assert sorted(artifacts) == ["validation/report.json", "validation/serving_contract.json"]

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["validation-report"]))
        )
    assert any("| result | column | expectation |" in str(a.data) for a in found)


def _key(uri: str) -> str:
    return uri.split("/artifacts/", 1)[1]


def test_failing_gate_raises_with_the_report_after_writing_it(small_digits, tmp_path):
    digits = small_digits
    import pandas as pd

    frame, column, expectation = corrupt(pd.read_parquet(digits["eval"]), "nan")
    bad = tmp_path / "bad.parquet"
    frame.to_parquet(bad, index=False)
    with pytest.raises(GateFailed) as exc:
        validate_data(ValidateParams(data=str(bad), reference=str(digits["reference"])))
    message = str(exc.value)
    assert message.startswith(f"validate-data gate failed: {column}: {expectation}")
    assert isinstance(exc.value.report, ValidationReport) and not exc.value.report.success
    assert any(key.endswith("/report.json") for key in open_store().list("validation/"))


def test_fail_on_critical_false_returns_the_failing_result(small_digits, tmp_path):
    digits = small_digits
    import pandas as pd

    frame, column, _ = corrupt(pd.read_parquet(digits["eval"]), "infinity")
    bad = tmp_path / "bad.parquet"
    frame.to_parquet(bad, index=False)
    result = validate_data(
        ValidateParams(data=str(bad), reference=str(digits["reference"]), fail_on_critical=False)
    )
    assert not result.report.success and column in result.summary


def test_neither_reference_nor_suite_is_bad_input(digits):
    with pytest.raises(BadInput, match="needs a reference"):
        validate_data(ValidateParams(data=str(digits["eval"])))


def test_reads_from_and_reports_to_s3(s3_bucket, monkeypatch):
    import pandas as pd

    from slipway.data import table_bytes

    monkeypatch.setenv("SLIPWAY_ARTIFACT_ROOT", f"s3://{s3_bucket}/slipway")
    frame = pd.DataFrame({"x": [0.5, 1.5, 2.5], "y": [0, 1, 0]})
    store = open_store()
    data_uri = store.put_bytes("inputs/data.parquet", table_bytes(frame))
    result = validate_data(ValidateParams(data=data_uri, reference=data_uri, target_column="y"))
    assert result.report.success
    assert result.report_uri == f"s3://{s3_bucket}/slipway/{_key_s3(result.report_uri)}"
    assert (
        ValidationReport.model_validate_json(store.get_text(_key_s3(result.report_uri)))
        == result.report
    )
    assert result.contract.feature_names == ["x"]


def _key_s3(uri: str) -> str:
    return uri.split("/slipway/", 1)[1]
