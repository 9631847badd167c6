"""The loop chooses the action that repairs (issue 22): counterfactual rollback, the label policy
and no blind retrain, on the pure decision (`slipway.core.drift.decide`)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from slipway.core.comparison import compare_classifiers
from slipway.core.drift import (
    Counterfactual,
    Performance,
    dataset_verdict,
    decide,
    labels_problem,
)
from slipway.core.drift_policy import DriftPolicy, FeatureRule
from tests.unit.core.test_drift import NOW, history, scores

POLICY = DriftPolicy(
    features={"vip": FeatureRule(weight=3)},
    rollback={"window": "72h", "max_performance_drop": 0.05, "alpha": 0.05},
    labels={"min_rows": 200, "max_age": "7d"},
)


def counterfactual(previous, champion, better, rows=400, p=0.001):
    return Counterfactual(
        version="1",
        metric="accuracy",
        previous=previous,
        champion=champion,
        rows=rows,
        test="mcnemar-exact",
        p_value=p,
        better=better,
    )


def labelled(current, baseline=0.97, rows=400, previous=None, age_hours=None, error=None):
    return Performance(
        metric="accuracy",
        baseline=baseline,
        current=current,
        rows=rows,
        previous=previous,
        previous_error=error,
        collected_at=None if age_hours is None else NOW - timedelta(hours=age_hours),
    )


# --- counterfactual rollback -----------------------------------------------------------------


def test_regression_rolls_back_when_previous_is_better_beyond_the_noise():
    given = scores(performance=labelled(0.60, previous=counterfactual(0.97, 0.60, True)))
    decision = decide(given, POLICY, history(promoted_hours_ago=2))
    assert decision.action == "rollback"
    assert decision.reasons[0].startswith("regression since the promotion")
    assert "`previous` v1 accuracy 0.9700 vs the champion's 0.6000" in decision.reasons[1]
    assert decision.reasons[1].endswith("better beyond the noise")


def test_regression_that_previous_shares_is_retrained_not_rolled_back():
    """Inverted digits: `previous` was trained on the same data and is just as wrong."""
    cf = counterfactual(0.05, 0.04, False, p=0.4)
    given = scores(drifted=("vip",), performance=labelled(0.04, previous=cf))
    decision = decide(given, POLICY, history(promoted_hours_ago=2))
    assert decision.action == "retrain"
    assert "not rolled back: `previous` v1 accuracy 0.0500" in decision.reasons[0]
    assert "no better beyond the noise, so a rollback would not repair it" in decision.reasons[0]
    assert any(r.startswith("important features drifted: vip") for r in decision.reasons)


def test_a_previous_that_is_only_less_wrong_does_not_roll_back():
    """Seen in the demo: on inverted digits `previous` got 0.116 against the champion's 0.080,
    significantly better (p = 0.04) and still useless: retrain instead."""
    cf = counterfactual(0.116, 0.080, True, rows=500, p=0.0427)
    given = scores(drifted=("vip",), performance=labelled(0.08, baseline=0.98, previous=cf))
    decision = decide(given, POLICY, history(promoted_hours_ago=2))
    assert decision.action == "retrain"
    assert (
        "better beyond the noise but itself 0.8640 below the release level 0.9800 (limit 0.05), "
        "so a rollback would not repair it" in decision.reasons[0]
    )


def test_regression_is_retrained_even_without_drift_when_previous_is_no_better():
    cf = counterfactual(0.70, 0.71, False, p=1.0)
    decision = decide(
        scores(performance=labelled(0.71, previous=cf)), POLICY, history(promoted_hours_ago=2)
    )
    assert decision.action == "retrain"
    assert "regression since the promotion" in decision.reasons[0]


def test_bad_promotion_rolls_back_when_labels_show_previous_is_better():
    """The promoted version was bad at release too (no drop against its own baseline): the
    counterfactual still sees that `previous` does better on the same rows."""
    cf = counterfactual(0.97, 0.62, True)
    given = scores(performance=labelled(0.62, baseline=0.63, previous=cf))
    decision = decide(given, POLICY, history(promoted_hours_ago=5))
    assert decision.action == "rollback"
    assert decision.reasons[0].startswith("worse since the promotion")


def test_previous_better_long_after_the_promotion_does_not_roll_back():
    cf = counterfactual(0.97, 0.62, True)
    given = scores(performance=labelled(0.62, previous=cf))
    decision = decide(given, POLICY, history(promoted_hours_ago=100))
    assert decision.action == "retrain"
    assert "not right after a promotion" in decision.reasons[-1]


def test_regression_rolls_back_when_previous_could_not_be_evaluated_and_says_so():
    given = scores(performance=labelled(0.5, error="its bundle could not be read"))
    decision = decide(given, POLICY, history(promoted_hours_ago=2))
    assert decision.action == "rollback"
    assert decision.reasons[1] == (
        "could not evaluate `previous` on the labelled rows (its bundle could not be read)"
    )


def test_drift_after_promotion_without_labels_rolls_back_and_says_it_could_not_compare():
    decision = decide(scores(drifted=("vip",)), POLICY, history(promoted_hours_ago=2))
    assert decision.action == "rollback"
    assert decision.reasons[1] == (
        "no labelled window: could not compare `previous` with the champion"
    )


def test_drift_after_promotion_with_labels_and_an_equal_previous_retrains():
    cf = counterfactual(0.96, 0.96, False, p=1.0)
    given = scores(drifted=("vip",), performance=labelled(0.96, previous=cf))
    decision = decide(given, POLICY, history(promoted_hours_ago=2))
    assert decision.action == "retrain"
    assert "drift appeared only since the promotion" in decision.reasons[0]
    assert "not rolled back" in decision.reasons[0]


def test_counterfactual_from_the_paired_test():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 10, 400)
    champion = np.where(rng.random(400) < 0.6, truth, (truth + 1) % 10)
    previous = np.where(rng.random(400) < 0.97, truth, (truth + 1) % 10)
    better = Counterfactual.of(
        "3", compare_classifiers(truth, previous, champion, require_improvement=True)
    )
    assert better.better and better.previous > 0.9 and better.champion < 0.7
    assert (better.version, better.rows, better.test) == ("3", 400, "mcnemar-exact")
    same = Counterfactual.of(
        "3", compare_classifiers(truth, champion, champion, require_improvement=True)
    )
    assert not same.better


# --- the label policy ------------------------------------------------------------------------


def test_too_few_labelled_rows_give_alert_only_with_the_count():
    given = scores(drifted=("vip",), performance=labelled(0.04, rows=12))
    decision = decide(given, POLICY, history())
    assert decision.action == "alert-only"
    assert decision.suppressed == "retrain"
    assert decision.reasons[-1] == (
        "accuracy fell from 0.9700 to 0.0400 (drop 0.9300 > limit 0.05, 12 labelled rows), but "
        "only 12 labelled rows (policy labels.min_rows 200): too few to decide on"
    )


def test_too_few_labelled_rows_never_roll_back_either():
    cf = counterfactual(0.97, 0.1, True, rows=12)
    given = scores(performance=labelled(0.1, rows=12, previous=cf))
    decision = decide(given, POLICY, history(promoted_hours_ago=1))
    assert (decision.action, decision.suppressed) == ("alert-only", "retrain")


def test_labels_older_than_max_age_give_alert_only():
    given = scores(drifted=("vip",), performance=labelled(0.5, age_hours=24 * 9))
    decision = decide(given, POLICY, history())
    assert decision.action == "alert-only"
    assert "collected 9.0 days ago (policy labels.max_age 7d): too old" in decision.reasons[-1]


def test_a_small_labelled_window_without_drift_or_drop_changes_nothing():
    decision = decide(scores(performance=labelled(0.97, rows=12)), POLICY, history())
    assert decision.action == "none"
    assert decision.reasons[-1].startswith("labelled window not used: only 12 labelled rows")


@pytest.mark.parametrize(
    "rows, age_hours, problem",
    [
        (200, None, None),
        (199, None, "only 199 labelled rows"),
        (500, 24 * 7, None),
        (500, 24 * 7 + 1, "too old"),
    ],
)
def test_labels_problem(rows, age_hours, problem):
    found = labels_problem(labelled(0.9, rows=rows, age_hours=age_hours), POLICY, NOW)
    assert (found is None) if problem is None else (problem in found)


def test_label_policy_fields_are_checked():
    with pytest.raises(ValidationError, match="duration 'soon'"):
        DriftPolicy(labels={"max_age": "soon"})
    with pytest.raises(ValidationError):
        DriftPolicy(labels={"min_rows": 0})
    with pytest.raises(ValidationError):
        DriftPolicy(retrain={"holdout": 1.0})
    with pytest.raises(ValidationError):
        DriftPolicy(retrain={"labelled_share": 0})


# --- no blind retrain ------------------------------------------------------------------------


def test_drift_without_labels_alerts_and_names_what_a_retrain_needs():
    decision = decide(scores(drifted=("vip",)), POLICY, history())
    assert (decision.action, decision.suppressed) == ("alert-only", "retrain")
    assert decision.reasons[0].startswith("important features drifted: vip")
    assert decision.reasons[-1].startswith(
        "not retrained: a retrain needs a labelled window of at least 200 rows (`--labelled`)"
    )


def test_drift_with_usable_labels_retrains():
    decision = decide(scores(drifted=("vip",), performance=labelled(0.9)), POLICY, history())
    assert decision.action == "retrain"


def test_no_drift_without_labels_is_none():
    assert decide(scores(), POLICY, history()).action == "none"


def test_the_dataset_verdict_still_follows_the_retrain_rules_without_labels():
    verdict, decision = dataset_verdict(scores(drifted=("vip",)), POLICY, NOW)
    assert verdict == "drift" and decision.action == "retrain"
