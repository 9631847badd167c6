"""`slipway release MODEL ...` for a regressor (diabetes, Ridge, skops): the accuracy gate
measures MAE, the champion comparison uses compare_regressors, a regressor that learnt nothing is
refused before anything is registered."""

from __future__ import annotations

import pytest

from slipway.cli import main

TARGET = "progression"


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory):
    import pandas as pd
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    root = tmp_path_factory.mktemp("diabetes")
    frame = load_diabetes(as_frame=True).frame.rename(columns={"target": TARGET})
    train, held = train_test_split(frame, test_size=0.4, random_state=0)
    eval_, reference = train_test_split(held, test_size=0.5, random_state=0)
    paths = {}
    for split, part in (
        ("train", train),
        ("eval", eval_),
        ("reference", pd.concat([train, reference])),
    ):
        paths[split] = root / f"{split}.csv"
        part.to_csv(paths[split], index=False)
    return root, paths


def fit(root, paths, name, *, shuffle=False):
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from slipway.modelio import save_sklearn

    frame = pd.read_csv(paths["train"])
    y = frame[TARGET].to_numpy()
    if shuffle:
        y = np.random.default_rng(3).permutation(y)
    model = make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(frame.drop(columns=[TARGET]), y)
    return save_sklearn(model, root / f"{name}.skops")


def argv(model, paths, *extra):
    return [
        "release", str(model), "--eval-data", str(paths["eval"]), "--reference-data",
        str(paths["reference"]), "--target-column", TARGET, "--name", "diabetes",
        "--targets", "onnx-fp32", *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_a_regressor_is_released_on_mae_and_one_that_learnt_nothing_is_refused(diabetes, capsys):
    import json

    from slipway import registry

    root, paths = diabetes
    # a Ridge regressor: file -> champion; the accuracy gate is MAE
    assert main(argv(fit(root, paths, "ridge"), paths, "--json")) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["version"], result["outcome"]) == ("1", "promoted")
    reg = registry.open_registry()
    evidence = reg.read_evidence("diabetes", "1")
    assert evidence.gates["accuracy"].status == "passed"
    assert "mae" in json.dumps(evidence.gates["accuracy"].details).lower()

    # fitted on permuted targets: refused by compare_regressors, nothing registered
    assert main(argv(fit(root, paths, "shuffled", shuffle=True), paths)) == 1
    line = next(x for x in capsys.readouterr().err.splitlines() if x.startswith("error: "))
    assert "champion_comparison failed" in line and "mae" in line.lower()
    assert len(reg.versions("diabetes")) == 1
