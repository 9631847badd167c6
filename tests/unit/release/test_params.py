"""ReleaseParams: one model source (a model with its data, or the example trained), and what
it hands each stage."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from slipway.release.params import CanaryOptions, ReleaseParams
from slipway.train.params import TrainParams

SOURCE = {
    "model": "models:/fraud/3",
    "eval_data": "eval.csv",
    "reference_data": "ref.csv",
    "target_column": "label",
}


def test_without_a_model_the_example_is_trained():
    assert ReleaseParams().train == TrainParams() and ReleaseParams().model is None


def test_a_model_source_needs_its_data():
    with pytest.raises(ValidationError, match="needs eval_data, target_column"):
        ReleaseParams(model="m.skops", reference_data="r.csv")


def test_a_model_and_train_are_exclusive():
    with pytest.raises(ValidationError, match="either `model`"):
        ReleaseParams(**SOURCE, train=TrainParams())


def test_every_stage_works_on_the_given_source():
    params = ReleaseParams(model_name="fraud", max_regression=0.02, **SOURCE)
    source = params.source()
    assert params.train is None and source.trained is None
    validate = params.validate_params(source)
    assert (validate.data, validate.reference, validate.target_column) == (
        "eval.csv",
        "ref.csv",
        "label",
    )
    assert params.optimize_params(source).model == "models:/fraud/3"
    compare = params.compare_params("/c", source, None)
    assert (compare.name, compare.eval_data, compare.max_regression) == ("fraud", "eval.csv", 0.02)
    assert compare.widen_ranges and not compare.allow_contract_change


def test_the_strategy_reaches_the_canary():
    params = ReleaseParams(
        **SOURCE, canary=CanaryOptions(strategy="blue-green", bake_s=3.0, gateway_url="http://g")
    )
    canary = params.canary_params("4")
    assert (canary.strategy, canary.bake_s, canary.version) == ("blue-green", 3.0, "4")
