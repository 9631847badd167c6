"""`slipway optimize`: JSON result on the example, one-line errors with exit 2 on bad input."""

from __future__ import annotations

import json

import pytest

from slipway.cli import main


@pytest.mark.slow
def test_optimize_json_on_the_example(small_model, tmp_path, capsys):
    # given the small digits model / when optimized to two targets with --json
    _, model_path, eval_path, _ = small_model
    code = main(
        [
            "optimize",
            str(model_path),
            "--eval-data",
            str(eval_path),
            "--target-column",
            "digit",
            "--targets",
            "onnx-fp32,ort-int8-dynamic",
            "--out",
            str(tmp_path / "c"),
            "--json",
        ]
    )
    # then one JSON document with the candidate directory and accepted candidates
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["candidate_dir"] == str(tmp_path / "c")
    assert [c["status"] for c in doc["manifest"]["candidates"]] == ["accepted", "accepted"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--targets", "onnx-fp32,gpu-magic"],
            "error: --targets: Value error, unknown target(s) gpu-magic",
        ),
        (["--max-accuracy-drop", "-1"], "error: --max-accuracy-drop:"),
    ],
)
def test_bad_flags_are_one_line_exit_2(tmp_path, capsys, argv, message):
    code = main(["optimize", "m.skops", "--eval-data", "e.csv", "--target-column", "y", *argv])
    assert code == 2
    assert capsys.readouterr().err.startswith(message)


def test_unsupported_model_type_exit_2(tmp_path, capsys):
    model = tmp_path / "model.h5"
    model.write_bytes(b"x")
    code = main(
        [
            "optimize",
            str(model),
            "--eval-data",
            "e.csv",
            "--target-column",
            "y",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("error: ")
        and "unsupported model file type '.h5'" in err
        and err.count("\n") == 1
    )


def test_pickle_without_trust_flag_exit_2(small_model, tmp_path, capsys):
    import joblib

    path = tmp_path / "model.joblib"
    joblib.dump(small_model[0], path)
    code = main(
        [
            "optimize",
            str(path),
            "--eval-data",
            str(small_model[2]),
            "--target-column",
            "digit",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "--trust-pickle" in capsys.readouterr().err
