"""What to benchmark: candidate directories, single model files and the input rows; bad input."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from slipway.core.manifest import Manifest
from slipway.errors import BadInput
from slipway.latency.inputs import input_rows, load_target

pytestmark = pytest.mark.slow


def test_a_candidate_directory_loads_its_manifest(candidate_dir):
    target = load_target(candidate_dir)
    assert [c.name for c in target.manifest.accepted()] == ["onnx-fp32", "ort-int8-dynamic"]
    assert target.manifest_path == (candidate_dir / "manifest.json").resolve()


def test_a_directory_without_a_manifest_is_refused(tmp_path):
    with pytest.raises(
        BadInput, match=r"no manifest.json in this directory: give a candidate directory"
    ):
        load_target(tmp_path)


def test_a_broken_manifest_is_refused(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(BadInput, match="not a valid candidate manifest"):
        load_target(tmp_path)


def test_a_missing_path_is_refused(tmp_path):
    with pytest.raises(BadInput, match="no such file or directory"):
        load_target(tmp_path / "nope.onnx")


def test_a_single_onnx_file_becomes_a_one_candidate_manifest(candidate_dir, tmp_path):
    model = tmp_path / "m.onnx"
    shutil.copyfile(candidate_dir / "onnx-fp32" / "model.onnx", model)
    target = load_target(model)
    assert target.manifest_path is None and target.bundle_dir == tmp_path.resolve()
    (candidate,) = target.manifest.candidates
    assert (candidate.name, candidate.runtime, candidate.path) == (
        "onnx-model",
        "onnxruntime",
        "m.onnx",
    )
    assert len(target.manifest.feature_names) == 64


def test_a_model_file_that_does_not_load_is_refused(tmp_path):
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"garbage")
    with pytest.raises(BadInput, match="broken.onnx: ONNX Runtime cannot load it"):
        load_target(model)


def test_an_unknown_model_format_is_refused(tmp_path):
    model = tmp_path / "model.pkl"
    model.write_bytes(b"x")
    with pytest.raises(BadInput, match="give an .onnx or OpenVINO .xml file"):
        load_target(model)


def test_input_rows_come_from_eval_data_in_feature_order(tmp_path):
    manifest = Manifest(feature_names=["b", "a"], target_column="y")
    path = tmp_path / "eval.csv"
    pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "y": [0, 1]}).to_csv(path, index=False)
    rows = input_rows(manifest, str(path))
    assert rows.dtype == np.float32 and rows.tolist() == [[3.0, 1.0], [4.0, 2.0]]


def test_eval_data_missing_features_is_refused(tmp_path):
    path = tmp_path / "eval.csv"
    pd.DataFrame({"a": [1.0]}).to_csv(path, index=False)
    with pytest.raises(BadInput, match=r"columns \['b'\] of the model's features are missing"):
        input_rows(Manifest(feature_names=["a", "b"]), str(path))


def test_without_eval_data_rows_are_random_and_shaped_by_the_features():
    rows = input_rows(Manifest(feature_names=[f"p{i}" for i in range(5)]), None)
    assert rows.shape == (256, 5) and rows.dtype == np.float32
    assert np.array_equal(
        rows, input_rows(Manifest(feature_names=[f"p{i}" for i in range(5)]), None)
    )


def test_without_features_or_eval_data_the_user_is_told_what_to_pass():
    with pytest.raises(BadInput, match="pass --eval-data"):
        input_rows(Manifest(), None)
