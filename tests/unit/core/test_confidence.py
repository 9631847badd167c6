"""Prediction confidence: top-1 probabilities and when a change counts as prediction drift."""

import numpy as np
import pytest

from slipway.core.confidence import mean_drop, prediction_verdict, top1_confidence
from slipway.core.drift_verdicts import FeatureScore


def score(name: str, drifted: bool) -> FeatureScore:
    return FeatureScore(name=name, test="ks", statistic=0.5, threshold=0.1, drifted=drifted)


def test_top1_confidence():
    p = np.array([[0.1, 0.9], [0.6, 0.4]], dtype=np.float32)
    assert top1_confidence(p).round(6).tolist() == [0.9, 0.6]


@pytest.mark.parametrize(
    "ref, cur, expected", [(0.9, 0.6, 0.3), (0.6, 0.9, -0.3), (None, 0.5, None)]
)
def test_mean_drop(ref, cur, expected):
    got = mean_drop(ref, cur)
    assert got == pytest.approx(expected) if expected is not None else got is None


def test_a_confidence_drop_is_prediction_drift():
    assert prediction_verdict(score("prediction", False), score("confidence", True), 0.2).name == (
        "confidence"
    )
    assert prediction_verdict(None, score("confidence", True), 0.2).name == "confidence"


@pytest.mark.parametrize(
    "prediction, confidence, drop, expected",
    [
        (score("prediction", True), score("confidence", True), 0.2, "prediction"),
        (score("prediction", False), score("confidence", True), -0.2, "prediction"),
        (score("prediction", False), score("confidence", False), 0.2, "prediction"),
        (score("prediction", False), score("confidence", True), None, "prediction"),
        (None, None, None, None),
    ],
)
def test_otherwise_the_class_verdict_stands(prediction, confidence, drop, expected):
    got = prediction_verdict(prediction, confidence, drop)
    assert (got.name if got else None) == expected
