"""Issue 19 item 7: a command checks what it needs before its flow starts and fails with one
line naming the thing and the fix; no traceback for a BadInput or a GateFailed, Prefect's own
failure logs included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from slipway.cli import main

ROOT = Path(__file__).resolve().parents[3]


def one_line_error(capfd, *fragments: str) -> str:
    """The whole output has no traceback and exactly one `error:` line holding `fragments`."""
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def optimize(model, eval_path, tmp_path, *extra) -> int:
    return main(
        [
            "optimize",
            str(model),
            "--eval-data",
            str(eval_path),
            "--target-column",
            "digit",
            "--targets",
            "onnx-fp32",
            "--out",
            str(tmp_path / "out"),
            *extra,
        ]
    )


def test_a_corrupt_onnx_file(small_model, tmp_path, capfd):
    model = tmp_path / "model.onnx"
    model.write_bytes(b"\x08\x07garbage, not protobuf")
    assert optimize(model, small_model[2], tmp_path) == 2
    one_line_error(capfd, str(model), "re-export it")
    assert not (tmp_path / "out").exists()  # the flow never started


def test_onnx_external_data_outside_its_folder(small_model, tmp_path, capfd):
    from tests.unit.convert.test_bad_inputs import external_model

    path = external_model(tmp_path / "m", "weights.bin")
    (tmp_path / "weights.bin").write_bytes((tmp_path / "m" / "weights.bin").read_bytes())
    external_model(tmp_path / "m", "../weights.bin")
    assert optimize(path, small_model[2], tmp_path) == 2
    one_line_error(capfd, "'../weights.bin' is outside the model's folder")


def test_an_unconvertible_estimator(small_model, tmp_path, capfd):
    import numpy as np
    from sklearn.kernel_approximation import AdditiveChi2Sampler
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from slipway.modelio import save_sklearn

    x = np.abs(np.random.default_rng(0).normal(size=(40, 64))).astype(np.float32)
    model = Pipeline([("chi2", AdditiveChi2Sampler()), ("clf", LogisticRegression())])
    path = save_sklearn(model.fit(x, (x[:, 0] > x[:, 1]).astype(int)), tmp_path / "m.skops")
    assert optimize(path, small_model[2], tmp_path) == 2
    one_line_error(capfd, "no skl2onnx converter for pipeline step chi2")


def test_eval_data_missing_a_model_column_names_it(small_model, tmp_path, capfd):
    bad = tmp_path / "eval.parquet"
    small_model[3].drop(columns=["pixel_42"]).to_parquet(bad)
    assert optimize(small_model[1], bad, tmp_path) == 2
    one_line_error(capfd, "missing: pixel_42")


def test_a_bad_input_inside_the_flow_shows_no_prefect_traceback(small_model, tmp_path, capfd):
    # given calibration data without a feature (found inside the flow, after the model loaded)
    bad = tmp_path / "calibration.parquet"
    small_model[3].drop(columns=["pixel_42"]).to_parquet(bad)
    code = optimize(small_model[1], small_model[2], tmp_path, "--calibration-data", str(bad))
    # then exit 2 and one line: Prefect's failure logs carry no traceback
    assert code == 2
    one_line_error(capfd, "missing feature column(s) pixel_42")


def test_a_missing_bucket_fails_train_before_training(s3_env, tmp_path, capfd, monkeypatch):
    import logging

    # the in-process moto server logs each request (werkzeug) through handlers an earlier
    # in-process flow bound to pytest's captured streams: not output of the command
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", True)
    monkeypatch.setenv("SLIPWAY_ARTIFACT_ROOT", "s3://no-such-bucket-19/artifacts")
    assert main(["train", "--max-iter", "2", "--hidden-layers", "4"]) == 2
    one_line_error(capfd, "s3://no-such-bucket-19/artifacts", "'no-such-bucket-19' does not exist")
    assert not (tmp_path / "slipway-home" / "mlflow.db").exists()  # nothing ran


def test_an_existing_bucket_passes_the_store_check(s3_bucket, monkeypatch):
    from slipway.cli.preflight import check_store
    from slipway.store import WRITE_PROBE, open_store

    monkeypatch.setenv("SLIPWAY_ARTIFACT_ROOT", f"s3://{s3_bucket}/artifacts")
    check_store()
    assert WRITE_PROBE not in open_store().list()  # the probe object was removed


def test_an_unreachable_mlflow_server(small_model, tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("SLIPWAY_TRACKING_URI", "http://127.0.0.1:9")
    assert optimize(small_model[1], small_model[2], tmp_path) == 2
    one_line_error(capfd, "MLflow tracking server http://127.0.0.1:9", "slipway up")


def test_an_unreachable_prefect_api(small_model, tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert optimize(small_model[1], small_model[2], tmp_path) == 2
    one_line_error(capfd, "Prefect API http://127.0.0.1:9/api", "PREFECT_API_URL")


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--dataset", "/nonexistent/data.csv"],
        ["validate", "/nonexistent/data.csv", "--reference", "/nonexistent/ref.csv"],
        ["bench", "/nonexistent/candidates"],
    ],
)
def test_a_missing_input_file(argv, capfd):
    assert main(argv) == 2
    one_line_error(capfd, "/nonexistent/", "no such")


@pytest.mark.slow
def test_a_gate_failure_inside_the_flow_shows_no_traceback(candidate_dir, tmp_path, capfd):
    import shutil

    # given a latency budget no candidate can meet
    shutil.copytree(candidate_dir, tmp_path / "c")
    argv = ["bench", str(tmp_path / "c"), "--batch-sizes", "1", "--threads", "1"]
    code = main([*argv, "--duration-s", "0.05", "--slo-p99-ms", "0.000001"])
    # then exit 1 with the table and one error line, and no traceback from Prefect's logs
    assert code == 1
    one_line_error(capfd, "SLO")


@pytest.mark.slow
def test_the_ephemeral_api_timeout_says_how_to_start_slipway_up(tmp_path):
    # given no Prefect API and no time to start the ephemeral one
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="0",
        PREFECT_HOME=str(tmp_path / "prefect"),
        SLIPWAY_HOME=str(tmp_path / "home"),
        PYTHONPATH=str(ROOT),
    )
    # when a command runs a flow
    done = subprocess.run(
        [sys.executable, "-m", "slipway", "train", "--max-iter", "2", "--hidden-layers", "4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    # then exit 2 with one line naming `slipway up` and the setting, no traceback
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "slipway up" in errors[0]
    assert "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in errors[0]
