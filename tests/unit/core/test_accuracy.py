"""Accuracy metrics and the accuracy gate (pure NumPy)."""

from __future__ import annotations

import numpy as np
import pytest

from slipway.core import accuracy as acc


@pytest.mark.parametrize(
    ("truth", "pred", "value"), [([1, 2, 3], [1, 2, 3], 1.0), ([1, 2, 3, 4], [1, 0, 3, 0], 0.5)]
)
def test_accuracy(truth, pred, value):
    assert acc.accuracy(np.array(truth), np.array(pred)) == value


def test_accuracy_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="equal, non-empty"):
        acc.accuracy(np.array([1]), np.array([1, 2]))


@pytest.mark.parametrize(
    ("truth", "pred", "value"),
    [
        ([0, 0, 1, 1], [0, 0, 1, 1], 1.0),
        ([0, 0, 1, 1], [0, 1, 1, 1], (0.6667 + 0.8) / 2),
        ([0, 1], [1, 0], 0.0),
    ],
)
def test_f1_macro(truth, pred, value):
    assert acc.f1_macro(np.array(truth), np.array(pred)) == pytest.approx(value, abs=1e-4)


def test_mae():
    assert acc.mae(np.array([1.0, 2.0]), np.array([[2.0], [2.0]])) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("metric", "value", "baseline", "max_drop", "drop", "passed"),
    [
        ("accuracy", 0.97, 0.98, 0.01, 0.01, True),
        ("accuracy", 0.96, 0.98, 0.01, 0.02, False),
        ("accuracy", 0.99, 0.98, 0.0, -0.01, True),
        ("mae", 1.2, 1.0, 0.1, 0.2, False),
        ("mae", 0.9, 1.0, 0.0, -0.1, True),
        ("cosine", 0.995, 1.0, 0.01, 0.005, True),
    ],
)
def test_gate(metric, value, baseline, max_drop, drop, passed):
    # given a candidate's metric and the FP32 baseline / when gated / then drop and verdict
    result = acc.gate(metric, value, baseline, max_drop)
    assert result.drop == pytest.approx(drop)
    assert result.passed is passed
    if not passed:
        assert f"drop {drop:.4f}" in acc.describe_failure(result)


def test_gate_refuses_unknown_metric_and_negative_drop():
    with pytest.raises(ValueError, match="unknown metric"):
        acc.gate("auc", 0.9, 0.9, 0.01)
    with pytest.raises(ValueError, match="max_drop"):
        acc.gate("accuracy", 0.9, 0.9, -0.1)


def test_gate_keeps_extra_evidence():
    assert acc.gate("accuracy", 0.9, 0.9, 0.01, f1_macro=0.88).model_dump()["f1_macro"] == 0.88
