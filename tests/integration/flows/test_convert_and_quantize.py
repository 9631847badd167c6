"""The `convert-and-quantize` flow on the trained example: candidates, evidence, MLflow, artifact,
gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slipway.convert.params import OptimizeParams
from slipway.errors import GateFailed

pytestmark = pytest.mark.slow
FAST_TARGETS = [
    "onnx-fp32",
    "ort-int8-dynamic",
    "ort-int8-static",
    "openvino-int8",
    "tensorrt-fp16",
]


def run(trained, tmp_path, **kw):
    from flows.convert_and_quantize import convert_and_quantize

    params = OptimizeParams(
        model=trained.model_uri,
        eval_data=trained.data_uris["eval"],
        target_column=trained.target_column,
        out=str(tmp_path / "candidates"),
        nncf_subset_size=64,
        **kw,
    )
    return convert_and_quantize(params)


@pytest.fixture(scope="module")
def home_and_result(trained, tmp_path_factory):
    """One flow run for the module, with its own SLIPWAY_HOME (MLflow database) kept for the
    checks."""
    root = tmp_path_factory.mktemp("flow")
    mp = pytest.MonkeyPatch()
    mp.setenv("SLIPWAY_HOME", str(root / "home"))
    try:
        return root / "home", run(trained, root, targets=FAST_TARGETS)
    finally:
        mp.undo()


@pytest.fixture
def result(home_and_result):
    return home_and_result[1]


def test_int8_candidates_are_accepted_with_evidence(result):
    # given the example model / when optimized / then ORT and OpenVINO INT8 pass both gates
    manifest = result.manifest
    for name in ("onnx-fp32", "ort-int8-dynamic", "ort-int8-static", "openvino-int8"):
        c = manifest.get(name)
        assert c.status == "accepted", c.reason
        assert c.parity.passed and c.parity.top1_agreement >= 0.95
        assert c.accuracy.passed and c.accuracy.drop <= 0.01 and c.accuracy.metric == "accuracy"
    assert manifest.get("onnx-fp32").parity.max_abs_error["probabilities"] < 1e-4
    assert "accepted" in result.summary


def test_tensorrt_is_unavailable_without_cuda(result):
    from slipway.runtimes import tensorrt_availability as availability

    reason = availability()
    if not reason:
        pytest.skip("TensorRT is usable here")
    c = result.manifest.get("tensorrt-fp16")
    assert c.status == "unavailable" and c.reason.startswith("unavailable: ") and reason in c.reason


def test_candidate_directory_layout_and_hashes(result, trained):
    from slipway.core.manifest import Manifest
    from slipway.store import sha256_file

    out = Path(result.candidate_dir)
    manifest = Manifest.model_validate_json((out / "manifest.json").read_text())
    assert manifest.input_name == "input" and manifest.output_names == ["label", "probabilities"]
    assert manifest.target_column == "digit" and len(manifest.feature_names) == 64
    assert manifest.model_dump()["data"]["eval"]["sha256"] == trained.fingerprints["eval"]
    assert (
        manifest.source["sha256"]
        == sha256_file(out / manifest.source["path"])
        == sha256_file(trained.model_uri)
    )
    assert manifest.source["path"].startswith("source/") and manifest.source["kind"] == "sklearn"
    from slipway.layout import candidate_identity

    for c in manifest.accepted():
        assert candidate_identity(out, c) == (c.sha256, c.file_sha256)
        assert c.size_bytes == (out / c.path).stat().st_size
    assert manifest.get("openvino-int8").path == "openvino-int8/model.xml"
    assert "openvino-int8/model.bin" in manifest.get("openvino-int8").files


def test_manifest_is_logged_to_mlflow_and_as_table_artifact(home_and_result, monkeypatch):
    import mlflow
    from prefect.artifacts import Artifact

    from slipway.tracking import configure_mlflow

    home, result = home_and_result
    monkeypatch.setenv("SLIPWAY_HOME", str(home))
    configure_mlflow()
    run = mlflow.get_run(result.mlflow_run_id)
    assert run.data.tags["slipway.stage"] == "convert-and-quantize"
    assert run.data.tags["slipway.candidate.openvino-int8"] == "accepted"
    logged = mlflow.artifacts.load_dict(f"runs:/{result.mlflow_run_id}/manifest.json")
    assert [c["name"] for c in logged["candidates"]] == FAST_TARGETS
    artifact = Artifact.get("convert-and-quantize")
    rows = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    assert {row["candidate"] for row in rows} >= set(FAST_TARGETS)


def test_no_accepted_candidate_raises_with_reasons(trained, tmp_path):
    # given an impossible parity tolerance / when optimized / then GateFailed names each reason
    with pytest.raises(
        GateFailed, match=r"no candidate accepted.*onnx-fp32: rejected \(parity: max abs error"
    ):
        run(trained, tmp_path, targets=["onnx-fp32"], parity_max_abs_error=1e-12)
    assert (tmp_path / "candidates" / "manifest.json").is_file()


def test_mlflow_run_uri_is_accepted(trained, tmp_path):
    import mlflow

    from slipway.tracking import configure_mlflow

    # given the skops model logged as an artifact of an MLflow run
    with mlflow.start_run(experiment_id=configure_mlflow()) as mlrun:
        mlflow.log_artifact(trained.model_uri, "model")
    # when optimized from runs:/ / then it converts and records where it came from
    uri = f"runs:/{mlrun.info.run_id}/model/{Path(trained.model_uri).name}"
    from flows.convert_and_quantize import convert_and_quantize

    result = convert_and_quantize(
        OptimizeParams(
            model=uri,
            eval_data=trained.data_uris["eval"],
            target_column="digit",
            out=str(tmp_path / "c"),
            targets=["onnx-fp32"],
        )
    )
    assert (
        result.manifest.source["origin"] == uri
        and result.manifest.get("onnx-fp32").status == "accepted"
    )


def test_two_conversions_of_one_model_give_one_identity(trained, tmp_path):
    """Issue 19 item 2: OpenVINO numbered its unnamed operations with a process-wide counter, so
    a second conversion of the same model (a release rerun in one worker) wrote another
    `model.xml` and the same model registered twice."""
    targets = ["onnx-fp32", "ort-int8-dynamic", "openvino-fp32"]
    # when the same fitted model is converted twice in one process
    first = run(trained, tmp_path / "first", targets=targets).manifest
    second = run(trained, tmp_path / "second", targets=targets).manifest
    # then every candidate has the same identity both times
    assert {c.name: c.sha256 for c in first.candidates} == {
        c.name: c.sha256 for c in second.candidates
    }
    assert all(c.status == "accepted" and c.sha256 for c in first.candidates)
