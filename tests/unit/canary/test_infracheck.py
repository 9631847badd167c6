"""Infra check: the serving artifact loads in a separate process and answers the input example."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from slipway.canary.infracheck import example_rows, run_infra_check
from tests.support import canary_builders as builders


@pytest.mark.parametrize(
    ("example", "features", "rows"),
    [
        ({"feature_names": ["a", "b"], "inputs": [[1, 2], [3, 4]]}, ["a", "b"], [[1, 2], [3, 4]]),
        ({"instances": [[1, 2]]}, ["a", "b"], [[1, 2]]),
        ({"columns": ["b", "a"], "data": [[2, 1]]}, ["a", "b"], [[1, 2]]),
        ([{"a": 1, "b": 2, "extra": 9}], ["a", "b"], [[1, 2]]),
        ([[5, 6]], ["a", "b"], [[5, 6]]),
    ],
)
def test_example_rows_in_every_layout(example, features, rows):
    assert example_rows(example, features) == rows


@pytest.mark.parametrize(
    ("example", "message"),
    [
        ({"columns": ["a"], "data": [[1]]}, "lacks features"),
        ({"rows": []}, "expected 'instances'"),
        ([], "holds no rows"),
        ("text", "holds no rows"),
    ],
)
def test_example_rows_refuses_unknown_layouts(example, message):
    with pytest.raises(ValueError, match=message):
        example_rows(example, ["a", "b"])


def bundle(candidate_dir, trained, dest, model=None):
    from slipway.data import read_table

    builders.candidate_with(candidate_dir, dest, model)
    reference = read_table(trained.data_uris["reference"])
    rows = reference[trained.feature_names].head(5).to_numpy(dtype=np.float32)
    (dest / "input_example.json").write_text(
        json.dumps({"feature_names": trained.feature_names, "inputs": rows.tolist()})
    )
    return dest, rows


@pytest.mark.slow
def test_a_good_bundle_answers(candidate_dir, trained, tmp_path):
    path, _ = bundle(candidate_dir, trained, tmp_path / "b")
    check = run_infra_check(path)
    assert check.ok, check.detail
    assert (check.candidate, check.runtime, check.rows) == ("onnx-fp32", "onnxruntime", 5)


@pytest.mark.slow
def test_a_model_that_fails_on_the_example_fails_the_check(candidate_dir, trained, tmp_path):
    _, rows = bundle(candidate_dir, trained, tmp_path / "probe")
    feature = int(np.argmax(rows.min(axis=0)))  # a pixel lit in every example row
    broken = builders.erroring(
        builders.served_model(candidate_dir), feature, float(rows[:, feature].min()) - 0.5
    )
    path, _ = bundle(candidate_dir, trained, tmp_path / "b", broken)
    check = run_infra_check(path)
    assert not check.ok and "cannot be reshaped" in check.detail


@pytest.mark.slow
def test_no_selected_candidate_fails_the_check(candidate_dir, trained, tmp_path):
    from slipway.core.manifest import MANIFEST_FILE, Manifest

    path, _ = bundle(candidate_dir, trained, tmp_path / "b")
    manifest = Manifest.model_validate_json((path / MANIFEST_FILE).read_text())
    (path / MANIFEST_FILE).write_text(
        manifest.model_copy(update={"selection": None}).model_dump_json()
    )
    check = run_infra_check(path)
    assert not check.ok and check.detail == "the manifest selects no candidate to serve"


def test_a_missing_bundle_fails_the_check(tmp_path):
    check = run_infra_check(tmp_path / "nothing-here")
    assert not check.ok and "manifest.json: no such candidate manifest file" in check.detail


def test_a_hung_process_fails_the_check(candidate_dir, tmp_path):
    shutil.copytree(candidate_dir, tmp_path / "b")
    check = run_infra_check(tmp_path / "b", timeout_s=0.01)
    assert not check.ok and "did not answer within 0.01 s" in check.detail
