"""A tiny fitted digits pipeline (skops) and its eval data, shared by the convert tests."""

from __future__ import annotations

import warnings

import pytest


@pytest.fixture(scope="session")
def small_model(tmp_path_factory):
    """(model, model_path, eval_path, eval_frame): StandardScaler + MLP(16) on digits."""
    from sklearn.exceptions import ConvergenceWarning

    from slipway.modelio import save_sklearn
    from slipway.train.digits import digits_frame
    from slipway.train.params import TrainParams
    from slipway.train.stage import fit, split

    params = TrainParams(hidden_layers=(16,), max_iter=40)
    splits = split(digits_frame(), params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = fit(splits.train, params)
    root = tmp_path_factory.mktemp("small-model")
    model_path = save_sklearn(model, root / "model.skops")
    eval_path = root / "eval.parquet"
    splits.eval.to_parquet(eval_path)
    return model, model_path, eval_path, splits.eval
