"""Parity metrics and the parity gate (pure NumPy)."""

from __future__ import annotations

import numpy as np
import pytest

from slipway.core import parity as par


@pytest.mark.parametrize(
    ("expected", "actual", "abs_err", "rel_err"),
    [
        ([1.0, 2.0], [1.0, 2.0], 0.0, 0.0),
        ([1.0, 2.0], [1.5, 2.0], 0.5, 0.5),
        ([0.0, 4.0], [0.0, 3.0], 1.0, 0.25),
        ([], [], 0.0, 0.0),
    ],
)
def test_abs_and_rel_error(expected, actual, abs_err, rel_err):
    # given two arrays / when compared / then the max errors are exact
    assert par.max_abs_error(np.array(expected), np.array(actual)) == pytest.approx(abs_err)
    assert par.max_rel_error(np.array(expected), np.array(actual)) == pytest.approx(rel_err)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shapes differ"):
        par.max_abs_error(np.zeros(3), np.zeros(4))


@pytest.mark.parametrize(
    ("a", "b", "agreement"), [([1, 2, 3, 4], [1, 2, 3, 4], 1.0), ([1, 2, 3, 4], [1, 2, 0, 0], 0.5)]
)
def test_top1_agreement(a, b, agreement):
    assert par.top1_agreement(np.array(a), np.array(b)) == agreement


def test_top1_agreement_needs_rows():
    with pytest.raises(ValueError, match="no rows"):
        par.top1_agreement(np.array([]), np.array([]))


def test_masked_mean_pool_ignores_padding():
    # given token states whose padded positions are huge
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [1000.0, 1000.0]]])
    mask = np.array([[1, 1, 0]])
    # when pooled with the mask / then padding does not count
    assert par.mean_pool(hidden, mask).tolist() == [[2.0, 0.0]]
    assert par.mean_pool(hidden, None)[0, 0] > 2.0


@pytest.mark.parametrize(
    ("b", "cos"), [([[2.0, 0.0]], 1.0), ([[0.0, 1.0]], 0.0), ([[-1.0, 0.0]], -1.0)]
)
def test_cosine_rows(b, cos):
    assert par.cosine_rows(np.array([[1.0, 0.0]]), np.array(b))[0] == pytest.approx(cos)


def classifier_outputs(labels, proba):
    return {"label": np.array(labels), "probabilities": np.array(proba, dtype=np.float32)}


@pytest.mark.parametrize(
    ("actual_labels", "shift", "passed", "why"),
    [
        ([0, 1], 0.0, True, "passed"),
        ([0, 1], 0.01, False, "max abs error"),
        ([1, 1], 0.0, False, "top-1 agreement"),
    ],
)
def test_classifier_gate(actual_labels, shift, passed, why):
    # given source outputs and a candidate's outputs
    expected = classifier_outputs([0, 1], [[0.9, 0.1], [0.2, 0.8]])
    actual = classifier_outputs(actual_labels, [[0.9 - shift, 0.1 + shift], [0.2, 0.8]])
    # when gated with the default tolerances
    result = par.compare_classifier(expected, actual, par.Tolerances())
    # then it passes or says which metric missed
    assert result.passed is passed
    assert why in par.describe_failure(result)


@pytest.mark.parametrize(("noise", "passed"), [(0.0, True), (5.0, False)])
def test_embedding_gate_uses_cosine(noise, passed):
    rng = np.random.default_rng(0)
    expected = rng.normal(size=(4, 3, 8))
    actual = expected + noise * rng.normal(size=expected.shape)
    result = par.compare_embeddings(expected, actual, par.Tolerances(), mask=np.ones((4, 3)))
    assert result.passed is passed
    assert result.cosine_min is not None


def test_regressor_gate():
    result = par.compare_regressor(
        np.array([[1.0]]), np.array([[1.1]]), par.Tolerances(max_abs_error=0.2)
    )
    assert result.passed and result.max_abs_error["variable"] == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("precision", "abs_limit", "top1"),
    [("fp32", 1e-3, 0.99), ("fp16", 1e-2, 0.99), ("int8", 1.0, 0.95)],
)
def test_tolerances_by_precision(precision, abs_limit, top1):
    tol = par.tolerances_for(precision, par.Tolerances())
    assert tol.max_abs_error == abs_limit and tol.min_top1_agreement == top1
