"""CLI errors of the deep-model options: one line naming the flag, exit 2, no traceback."""

from __future__ import annotations

import pytest

from slipway.cli import main


@pytest.mark.parametrize(
    "argv, starts",
    [
        (["train", "--arch", "cnn", "--epochs", "0"], "error: --epochs 0: give 1 or more"),
        (
            ["optimize", "m.pt2", "--eval-data", "e.csv", "--target-column", "y"]
            + ["--input-shape", "1,x,32"],
            "error: --input-shape '1,x,32': give positive integers",
        ),
        (
            ["validate", "d.csv", "--reference", "r.csv", "--input-shape", "0,32"],
            "error: --input-shape '0,32': give positive integers",
        ),
    ],
)
def test_bad_shapes_and_epochs(argv, starts, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(starts), err
    assert "Traceback" not in err


def test_a_cnn_dataset_that_is_not_images_is_refused(tmp_path, capsys):
    import pandas as pd

    data = tmp_path / "rows.csv"
    pd.DataFrame({"a": range(30), "b": range(30), "digit": [0, 1, 2] * 10}).to_csv(
        data, index=False
    )
    assert main(["train", "--arch", "cnn", "--dataset", str(data)]) == 2
    err = capsys.readouterr().err
    assert "2 feature columns, but arch cnn takes one flattened 1x32x32 image" in err
    assert "Traceback" not in err


def test_demo_example_cnn_releases_the_cnn():
    from argparse import Namespace

    from slipway.cli.demo import release_params
    from slipway.release.params import ReleaseParams
    from slipway.train.params import TrainParams

    args = Namespace(example="cnn", model_name="digits-cnn")
    params = release_params(args, ReleaseParams, TrainParams, seed=1)
    assert (params.model_name, params.train.arch, params.train.seed) == ("digits-cnn", "cnn", 1)
    assert "ort-int8-static" in params.targets and "openvino-int8" in params.targets
    mlp = release_params(Namespace(example="mlp", model_name="m"), ReleaseParams, TrainParams, 0)
    assert mlp.train.arch == "mlp"
