"""register_candidate against a real MLflow registry (SQLite under the per-test SLIPWAY_HOME)."""

from __future__ import annotations

import json

import pytest

from slipway.core.contract import ServingContract
from slipway.errors import BadInput, ConfigError, GateFailed
from slipway.events import REGISTERED
from tests.support.prefect_events import prefect_events
from tests.support.registry import selected_copy, validation_report

NAME = "digits-test"


def contract_of(directory) -> ServingContract:
    return ServingContract.model_validate_json((directory / "serving_contract.json").read_text())


def register(directory, trained, report=None, name=NAME, **kwargs):
    from tasks.register_version import register_candidate

    return register_candidate(
        directory,
        name,
        contract=contract_of(directory),
        validation_report=validation_report() if report is None else report,
        train_result=trained,
        **kwargs,
    )


@pytest.mark.slow
def test_register_stores_the_bundle_tags_the_evidence_and_is_idempotent(
    candidate_dir, trained, tmp_path
):
    from slipway import registry
    from slipway.data import read_table
    from slipway.drift import profiles

    # given a candidate dir with a selection, a benchmark and a passing validation report
    directory = selected_copy(candidate_dir, tmp_path / "c")
    # when it is registered twice
    first = register(directory, trained)
    again = register(directory, trained)
    # then one version exists, with alias candidate and the evidence as tags
    assert first.created and first.version == "1" and not again.created and again.version == "1"
    c = registry.open_registry().client
    # and the Prefect event names it (the model name is unique to this test: the Prefect server is
    # shared)
    unique = f"digits-{first.run_id[:8]}"
    registered = register(directory, trained, name=unique)
    (event,) = prefect_events(REGISTERED, f"mlflow.model.{unique}.1")
    assert event.payload == {
        "name": unique,
        "version": "1",
        "run_id": registered.run_id,
        "sha256": first.sha256,
        "candidate": "onnx-fp32",
    }
    assert len(c.search_model_versions(f"name='{NAME}'")) == 1
    assert registry.open_registry().alias(NAME, "candidate") == "1"
    mv = c.get_model_version(NAME, "1")
    assert mv.source == f"runs:/{first.run_id}/bundle"
    assert {
        mv.tags[f"slipway.gate.{g}"] for g in ("data_validation", "parity", "accuracy", "latency")
    } == {"passed"}
    assert mv.tags["slipway.sha256"] == first.sha256
    assert (mv.tags["slipway.runtime"], mv.tags["slipway.candidate"]) == (
        "onnxruntime",
        "onnx-fp32",
    )
    assert mv.tags["slipway.status"] == "registered"
    # and the bundle holds both candidates, contract, evidence, profile (with prediction), example,
    # signature
    bundle = registry.open_registry().download_bundle(NAME, "1", tmp_path / "dl")
    for rel in (
        "onnx-fp32/model.onnx",
        "ort-int8-dynamic/model.onnx",
        "serving_contract.json",
        "evidence.json",
        "reference_profile.bin",
        "input_example.json",
        "MLmodel",
        "manifest.json",
    ):
        assert (bundle / rel).is_file(), rel
    view = profiles.deserialize((bundle / "reference_profile.bin").read_bytes())
    assert "prediction" in view.get_columns() and "pixel_00" in view.get_columns()
    assert profiles.row_count(view) == len(read_table(trained.data_uris["reference"]))
    example = json.loads((bundle / "input_example.json").read_text())
    assert len(example["inputs"][0]) == 64
    assert "signature" in (bundle / "MLmodel").read_text()
    evidence = registry.open_registry().read_evidence(NAME, "candidate")
    assert evidence.training_run_id == trained.run_id
    assert set(evidence.stored_candidates) == {"onnx-fp32", "ort-int8-dynamic"}
    assert evidence.data_fingerprints["train"] == trained.fingerprints["train"]
    assert evidence.environment.python.startswith("3.")
    assert evidence.latency.host == {"cpu": "test cpu", "cores": 2}


@pytest.mark.parametrize(
    ("gate", "edit", "report"),
    [
        ("parity", lambda m: setattr(m.candidates[0].parity, "passed", False), None),
        ("accuracy", lambda m: setattr(m.candidates[0].accuracy, "passed", False), None),
        ("data_validation", None, validation_report(success=False)),
        ("latency", lambda m: setattr(m, "benchmark", {"passed": False, "table": []}), None),
    ],
)
def test_a_failed_gate_is_refused_with_its_name(
    candidate_dir, trained, tmp_path, gate, edit, report
):
    directory = selected_copy(candidate_dir, tmp_path / "c", edit=edit)
    with pytest.raises(GateFailed, match=rf"gate {gate} failed"):
        register(directory, trained, report=report)


def test_a_manifest_without_selection_is_bad_input(candidate_dir, trained, tmp_path):
    import shutil

    shutil.copytree(candidate_dir, tmp_path / "c")
    with pytest.raises(BadInput, match="no selection"):
        register(tmp_path / "c", trained)


def test_a_changed_model_file_is_refused(candidate_dir, trained, tmp_path):
    directory = selected_copy(candidate_dir, tmp_path / "c", select="ort-int8-dynamic")
    with open(directory / "onnx-fp32" / "model.onnx", "ab") as fh:  # an accepted, stored candidate
        fh.write(b"tampered")
    with pytest.raises(BadInput, match="changed after conversion"):
        register(directory, trained)


def test_an_injected_failure_rolls_the_half_created_version_back(
    candidate_dir, trained, tmp_path, monkeypatch
):
    from slipway import registry

    directory = selected_copy(candidate_dir, tmp_path / "c")
    original = registry.Registry.finish_version

    def fail_after_create(*_args, **_kwargs):
        raise RuntimeError("injected failure after the version was created")

    monkeypatch.setattr(registry.Registry, "finish_version", fail_after_create)
    with pytest.raises(RuntimeError, match="injected"):
        register(directory, trained)
    c = registry.open_registry().client
    assert c.search_model_versions(f"name='{NAME}'") == []
    assert registry.open_registry().alias(NAME, "candidate") is None
    # and a retry without the failure registers it as version 2 (the deleted 1 is not reused)
    monkeypatch.setattr(registry.Registry, "finish_version", original)
    retried = register(directory, trained)
    assert retried.created and retried.version == "2"


def test_unreachable_mlflow_names_the_tracking_uri(candidate_dir, trained, tmp_path, monkeypatch):
    from tests.conftest import free_port

    uri = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SLIPWAY_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    directory = selected_copy(candidate_dir, tmp_path / "c")
    with pytest.raises(ConfigError, match=uri):
        register(directory, trained)


def test_a_candidate_without_a_contract_is_bad_input(candidate_dir, trained, tmp_path):
    from tasks.register_version import register_candidate

    directory = selected_copy(candidate_dir, tmp_path / "c")
    with pytest.raises(BadInput, match="no serving contract"):
        register_candidate(
            directory,
            NAME,
            contract=None,
            validation_report=validation_report(),
            train_result=trained,
        )


def test_the_cli_path_reads_the_contract_beside_the_manifest_and_refuses_a_broken_one(
    candidate_dir, trained, tmp_path
):
    from slipway.register.params import RegisterParams
    from tasks.register_version import load_inputs

    directory = selected_copy(candidate_dir, tmp_path / "c")
    params = RegisterParams(candidate_dir=str(directory), name=NAME)
    contract, report, train = load_inputs.fn(params)
    assert contract == contract_of(directory) and report is None and train is None
    (directory / "serving_contract.json").write_text("{}")
    with pytest.raises(BadInput, match="serving_contract.json: not a valid serving contract"):
        load_inputs.fn(params)


def test_an_unanswering_registry_is_unavailable_not_an_unset_alias(tmp_path, monkeypatch):
    """A gateway replica reads `champion` every poll: while the MLflow server restarts, "no
    answer" must not read as "no champion" (the replica would turn its canary routing off)."""
    from mlflow import MlflowClient

    from slipway.errors import Unavailable
    from slipway.registry import Registry, open_registry
    from tests.conftest import free_port

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    assert open_registry().alias("never-registered", "champion") is None  # a real "not set"
    dead = f"http://127.0.0.1:{free_port()}"
    registry = Registry(MlflowClient(tracking_uri=dead, registry_uri=dead), tmp_path)
    with pytest.raises(Unavailable, match="the MLflow registry did not answer reading alias"):
        registry.alias("digits", "champion")


def with_openvino(candidate_dir, dest, weights_scale: float | None = None, xml_from=None):
    """A selected copy of the shared candidate dir serving an OpenVINO FP32 IR of its onnx-fp32
    model; `weights_scale` scales the last layer's weights and `xml_from` takes the .xml of an
    earlier copy, so that the two candidates differ in `model.bin` only."""
    import shutil

    import onnx
    from onnx import numpy_helper

    from slipway.convert import openvino_ir
    from slipway.convert.stage import describe_files

    def add(manifest):
        source = onnx.load(str(dest / "onnx-fp32" / "model.onnx"))
        if weights_scale is not None:
            last = max(source.graph.initializer, key=lambda t: ("coefficient" in t.name, t.name))
            scaled = numpy_helper.to_array(last) * weights_scale
            last.CopyFrom(numpy_helper.from_array(scaled.astype(scaled.dtype), last.name))
        onnx.save(source, str(dest / "weights.onnx"))
        ready = openvino_ir.openvino_ready(dest / "weights.onnx", dest / "ready.onnx", True)
        xml = openvino_ir.convert_ir(ready, dest / "openvino-fp32" / "model.xml", fp16=False)
        for scratch in ("weights.onnx", "ready.onnx"):
            (dest / scratch).unlink()
        if xml_from is not None:
            shutil.copyfile(xml_from / "openvino-fp32" / "model.xml", xml)
        reference = manifest.get("onnx-fp32")
        candidate = describe_files("openvino-fp32", xml, dest)
        candidate.parity, candidate.accuracy = reference.parity, reference.accuracy
        candidate.status = "accepted"
        manifest.candidates.append(candidate)

    return selected_copy(candidate_dir, dest, select="openvino-fp32", edit=add)


@pytest.mark.slow
def test_openvino_candidates_differing_only_in_weights_are_two_versions(
    candidate_dir, trained, tmp_path
):
    """Issue 19 item 1: the identity covered model.xml only, so a release whose weights
    changed was taken for the existing version (and the champion)."""
    from slipway import registry
    from slipway.core.manifest import Manifest

    # given two OpenVINO candidates with the same model.xml and different model.bin
    first_dir = with_openvino(candidate_dir, tmp_path / "a")
    second_dir = with_openvino(candidate_dir, tmp_path / "b", weights_scale=1.5, xml_from=first_dir)
    xml, weights = "openvino-fp32/model.xml", "openvino-fp32/model.bin"
    assert (first_dir / xml).read_bytes() == (second_dir / xml).read_bytes()
    assert (first_dir / weights).read_bytes() != (second_dir / weights).read_bytes()
    manifests = [
        Manifest.model_validate_json((d / "manifest.json").read_text())
        for d in (first_dir, second_dir)
    ]
    # then their identities differ and cover both files
    first_c, second_c = (m.get("openvino-fp32") for m in manifests)
    assert first_c.sha256 != second_c.sha256
    assert set(first_c.file_sha256) == {xml, weights}
    # when both are registered, the first one promoted
    first = register(first_dir, trained)
    registry.open_registry().promote(NAME, first.version, reason="test")
    second = register(second_dir, trained)
    # then the second is a new version, not taken for the champion
    assert first.created and second.created and (first.version, second.version) == ("1", "2")
    assert second.sha256 == second_c.sha256 != first.sha256
    found = registry.open_registry().find_by_sha256(NAME, second.sha256)
    assert found is not None and str(found.version) == "2"
    assert registry.open_registry().read_evidence(NAME, "2").serving_sha256 == second.sha256
