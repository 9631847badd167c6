import numpy as np
import pytest

from slipway.core.comparison import (
    BOOTSTRAP,
    MCNEMAR,
    binomial_tail,
    compare_classifiers,
    compare_regressors,
)


def test_binomial_tail_exact_values():
    assert binomial_tail(0, 5) == 1.0
    assert binomial_tail(6, 5) == 0.0
    assert binomial_tail(5, 5) == pytest.approx(1 / 32)
    assert binomial_tail(4, 5) == pytest.approx(6 / 32)


def _labels(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 10, n), rng


def _with_accuracy(truth, share, rng):
    pred = truth.copy()
    wrong = rng.random(truth.size) >= share
    pred[wrong] = (truth[wrong] + 1) % 10
    return pred


def test_a_much_worse_classifier_is_refused_with_both_accuracies():
    truth, rng = _labels()
    champ = _with_accuracy(truth, 0.97, rng)
    cand = _with_accuracy(truth, 0.40, rng)
    c = compare_classifiers(truth, cand, champ)
    assert not c.passed
    assert c.test == MCNEMAR and c.rows == 400
    assert c.champion > 0.9 and c.candidate < 0.5
    assert c.p_value < 1e-6
    assert "worse by" in c.reason and "significant" in c.reason
    assert f"candidate {c.candidate:.4f}" in c.line()
    assert f"champion {c.champion:.4f}" in c.line()


def test_an_equally_good_classifier_passes():
    truth, rng = _labels()
    champ = _with_accuracy(truth, 0.95, rng)
    cand = _with_accuracy(truth, 0.95, rng)
    c = compare_classifiers(truth, cand, champ)
    assert c.passed, c.reason


def test_the_same_predictions_pass_with_no_discordant_rows():
    truth, rng = _labels()
    pred = _with_accuracy(truth, 0.9, rng)
    c = compare_classifiers(truth, pred, pred)
    assert c.passed and c.champion_only == 0 and c.candidate_only == 0
    assert c.p_value == 1.0


def test_a_slightly_worse_candidate_within_noise_passes_and_says_so():
    truth = np.zeros(100, dtype=int)
    champ = truth.copy()
    cand = truth.copy()
    cand[:2] = 1  # two rows worse: p = 0.25
    c = compare_classifiers(truth, cand, champ)
    assert c.passed and "within sampling noise" in c.reason


def test_max_regression_allows_a_known_drop():
    truth = np.zeros(1000, dtype=int)
    champ = truth.copy()
    cand = truth.copy()
    cand[:30] = 1  # 3 points worse, clearly significant without an allowance
    assert not compare_classifiers(truth, cand, champ).passed
    assert compare_classifiers(truth, cand, champ, max_regression=0.05).passed


def test_require_improvement():
    truth, rng = _labels(1000)
    champ = _with_accuracy(truth, 0.70, rng)
    better = _with_accuracy(truth, 0.95, rng)
    assert compare_classifiers(truth, better, champ, require_improvement=True).passed
    assert not compare_classifiers(truth, champ, champ, require_improvement=True).passed


@pytest.mark.parametrize("metric", ["mae", "rmse"])
def test_regressors_paired_bootstrap(metric):
    rng = np.random.default_rng(1)
    truth = rng.normal(size=500)
    champ = truth + rng.normal(scale=0.1, size=500)
    same = truth + rng.normal(scale=0.1, size=500)
    worse = truth + rng.normal(scale=1.0, size=500)
    bad = compare_regressors(truth, worse, champ, metric=metric)
    assert not bad.passed and bad.test == BOOTSTRAP and bad.candidate > bad.champion
    assert compare_regressors(truth, same, champ, metric=metric).passed


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="equal, non-empty"):
        compare_classifiers([1, 2], [1], [1, 2])
    with pytest.raises(ValueError, match="max_regression"):
        compare_classifiers([1], [1], [1], max_regression=-1)
    with pytest.raises(ValueError, match="unknown regression metric"):
        compare_regressors([1.0], [1.0], [1.0], metric="r2")
