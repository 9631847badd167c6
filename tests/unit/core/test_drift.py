"""`judge` and `decide`: every branch of the drift policy, given/when/then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from slipway.core.drift import DriftScores, FeatureScore, History, Performance, decide, judge
from slipway.core.drift_policy import DriftPolicy, FeatureRule, ResolvedRule

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
POLICY = DriftPolicy(
    min_rows=50,
    features={"vip": FeatureRule(weight=3)},
    cooldown="24h",
    rollback={"window": "72h", "max_performance_drop": 0.05},
    # the retrain rules on their own; `require_labels` (the default) has its own tests below
    retrain={"require_labels": False},
    labels={"min_rows": 100},
)


def feature(name, drifted, weight=1.0, statistic=None):
    stat = statistic if statistic is not None else (0.5 if drifted else 0.01)
    return FeatureScore(
        name=name,
        test="ks",
        statistic=stat,
        pvalue=1e-6 if drifted else 0.9,
        threshold=0.1,
        weight=weight,
        drifted=drifted,
    )


def scores(drifted=(), n=10, rows=500, prediction=False, performance=None, missing=()):
    """`n` features f0..f(n-1) plus `vip` (weight 3); names in `drifted` drift."""
    feats = [feature(f"f{i}", f"f{i}" in drifted) for i in range(n)]
    feats.append(feature("vip", "vip" in drifted, weight=3))
    pred = FeatureScore(
        name="prediction",
        test="chi-square",
        statistic=0.4 if prediction else 0.01,
        pvalue=1e-9 if prediction else 0.8,
        threshold=0.1,
        drifted=prediction,
    )
    return DriftScores(
        rows=rows, features=feats, prediction=pred, performance=performance, missing=list(missing)
    )


def perf(current, baseline=0.97):
    return Performance(metric="accuracy", baseline=baseline, current=current, rows=300)


def history(
    promoted_hours_ago=None, has_previous=True, previous_fine=True, running=(), opened=None
):
    return History(
        now=NOW,
        promoted_at=None
        if promoted_hours_ago is None
        else NOW - timedelta(hours=promoted_hours_ago),
        has_previous=has_previous,
        previous_fine=previous_fine,
        running=frozenset(running),
        last_opened={k: NOW - timedelta(hours=h) for k, h in (opened or {}).items()},
    )


# --- judge -----------------------------------------------------------------------------------

RULE = ResolvedRule(test="ks", threshold=0.1, weight=1.0)


@pytest.mark.parametrize(
    "rule, statistic, pvalue, drifted",
    [
        (RULE, 0.3, 0.001, True),  # large and significant
        (RULE, 0.1, 0.001, True),  # exactly at the threshold
        (RULE, 0.09, 0.0, False),  # significant but too small (huge windows)
        (RULE, 0.5, 0.2, False),  # large but not significant (tiny windows)
        (RULE, 0.5, 0.05, False),  # p must be strictly below alpha
        (RULE, None, None, False),  # the test could not run
        (RULE, 0.5, None, True),  # no p-value: the statistic decides
        # Hellinger's p-value is the KS test's on the same sketches: it must be significant too
        (ResolvedRule(test="hellinger", threshold=0.2, weight=1), 0.25, 0.9, False),
        (ResolvedRule(test="hellinger", threshold=0.2, weight=1), 0.25, 0.001, True),
        (ResolvedRule(test="hellinger", threshold=0.2, weight=1), 0.19, None, False),
        (
            ResolvedRule(test="chi-square", threshold=0.1, weight=1),
            float("inf"),
            0.0,
            True,
        ),  # new category
    ],
)
def test_judge(rule, statistic, pvalue, drifted):
    score = judge("x", rule, statistic, pvalue, alpha=0.05)
    assert score.drifted is drifted
    assert (score.test, score.threshold) == (rule.test, rule.threshold)


def test_describe_names_test_statistic_and_threshold():
    text = judge("pixel_10", RULE, 0.4321, 1e-12, 0.05).describe()
    assert text == "pixel_10 (ks 0.432 >= 0.1, p=1e-12, weight 1)"


# --- no-data ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, reason",
    [
        (None, "no production profiles for digits v3"),
        (DriftScores(rows=0), "no production profiles for digits v3"),
        (scores(rows=49), "only 49 production rows in the window (policy min_rows 50)"),
    ],
)
def test_no_data_is_explicit(given, reason):
    decision = decide(
        given, POLICY, history(), no_data_reason="no production profiles for digits v3"
    )
    assert decision.action == "no-data"
    assert decision.reasons == [reason]


# --- none / alert-only / retrain -------------------------------------------------------------


@pytest.mark.parametrize(
    "given, action, drifted, reason_part",
    [
        (scores(), "none", [], "no drift in 11 features over 500 rows"),
        (scores(rows=50), "none", [], "no drift"),
        (scores(drifted=["f1"]), "alert-only", ["f1"], "drift below the retrain policy: f1"),
        (scores(missing=["f9"]), "alert-only", [], "columns missing from production profiles: f9"),
        (
            DriftScores(
                rows=60,
                features=[
                    FeatureScore(name="e", test="ks", statistic=None, threshold=0.1, drifted=False)
                ],
            ),
            "alert-only",
            [],
            "columns that could not be scored: e (the test could not run)",
        ),
        (scores(drifted=["vip"]), "retrain", ["vip"], "important features drifted: vip (ks 0.500"),
        (
            scores(drifted=["f0", "f1", "f2", "f3"]),
            "retrain",
            ["f0", "f1", "f2", "f3"],
            "4 of 11 features drifted (weighted share 0.31 >= 0.3)",
        ),
        (
            scores(drifted=["f0", "f1", "f2"]),
            "alert-only",
            ["f0", "f1", "f2"],
            "drift below the retrain policy",
        ),
        (
            scores(prediction=True),
            "retrain",
            ["prediction"],
            "prediction drift: prediction (chi-square",
        ),
        (
            scores(drifted=["f2", "vip"], prediction=True),
            "retrain",
            ["vip", "f2", "prediction"],
            "important",
        ),
        (scores(performance=perf(0.90)), "retrain", [], "accuracy fell from 0.9700 to 0.9000"),
        (scores(performance=perf(0.93)), "none", [], "no drift"),  # a drop within the limit
    ],
)
def test_drift_without_a_recent_promotion(given, action, drifted, reason_part):
    decision = decide(given, POLICY, history(promoted_hours_ago=None))
    assert decision.action == action
    assert decision.drifted == drifted
    assert any(reason_part in r for r in decision.reasons), decision.reasons


def test_prediction_drift_alerts_only_when_the_policy_says_so():
    policy = POLICY.model_copy(
        update={"retrain": POLICY.retrain.model_copy(update={"on_prediction_drift": False})}
    )
    decision = decide(scores(prediction=True), policy, history())
    assert decision.action == "alert-only"
    assert "policy does not retrain on it" in decision.reasons[0]


def test_zero_weights_never_divide_by_zero():
    given = DriftScores(rows=100, features=[feature("a", True, weight=0)])
    assert decide(given, POLICY, history()).action == "alert-only"


# --- rollback --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, hist, action, reason_part",
    [
        # performance regression right after a promotion, previous exists -> rollback
        (
            scores(performance=perf(0.80)),
            history(promoted_hours_ago=2),
            "rollback",
            "regression since the promotion at 2026-11-28T00:00:00+00:00: "
            "accuracy fell from 0.9700 to 0.8000",
        ),
        # ... even when previous was not known to be fine (performance speaks for itself)
        (
            scores(performance=perf(0.80)),
            history(promoted_hours_ago=2, previous_fine=None),
            "rollback",
            "regression",
        ),
        # ... but with no previous version: retrain, saying why
        (
            scores(performance=perf(0.80)),
            history(promoted_hours_ago=2, has_previous=False),
            "retrain",
            "no `previous` version to roll back to",
        ),
        # ... and long after the promotion: the model went stale -> retrain
        (
            scores(performance=perf(0.80)),
            history(promoted_hours_ago=100),
            "retrain",
            "not right after a promotion",
        ),
        # drift appeared only after the promotion while previous was fine -> rollback
        (
            scores(prediction=True),
            history(promoted_hours_ago=2),
            "rollback",
            "drift appeared only since the promotion",
        ),
        (scores(drifted=["f1"]), history(promoted_hours_ago=72), "rollback", "f1 (ks"),
        # previous was drifting too (or unknown): the drift is not the new version's -> retrain
        (
            scores(prediction=True),
            history(promoted_hours_ago=2, previous_fine=False),
            "retrain",
            "prediction drift",
        ),
        (
            scores(drifted=["vip"]),
            history(promoted_hours_ago=2, previous_fine=None),
            "retrain",
            "important",
        ),
        (
            scores(drifted=["f1"]),
            history(promoted_hours_ago=2, previous_fine=False),
            "alert-only",
            "below the retrain policy",
        ),
        # a clean window right after a promotion stays `none`
        (scores(performance=perf(0.96)), history(promoted_hours_ago=1), "none", "no drift"),
    ],
)
def test_rollback_semantics(given, hist, action, reason_part):
    decision = decide(given, POLICY, hist)
    assert decision.action == action
    assert any(reason_part in r for r in decision.reasons), decision.reasons


# --- cooldown and de-duplication -------------------------------------------------------------


@pytest.mark.parametrize(
    "given, hist, action, suppressed, reason_part",
    [
        (
            scores(drifted=["vip"]),
            history(running={"retrain"}),
            "alert-only",
            "retrain",
            "retrain not opened: a retrain run for this model is already in progress",
        ),
        (
            scores(drifted=["vip"]),
            history(opened={"retrain": 3}),
            "alert-only",
            "retrain",
            "within the cooldown of 24h",
        ),
        (scores(drifted=["vip"]), history(opened={"retrain": 25}), "retrain", None, "important"),
        (scores(drifted=["vip"]), history(opened={"rollback": 1}), "retrain", None, "important"),
        (
            scores(performance=perf(0.5)),
            history(promoted_hours_ago=1, running={"rollback"}),
            "alert-only",
            "rollback",
            "rollback not opened",
        ),
        (
            scores(performance=perf(0.5)),
            history(promoted_hours_ago=1, opened={"rollback": 2}),
            "alert-only",
            "rollback",
            "cooldown",
        ),
        (
            scores(performance=perf(0.5)),
            history(promoted_hours_ago=1, running={"retrain"}),
            "rollback",
            None,
            "regression",
        ),
        (scores(), history(running={"retrain"}), "none", None, "no drift"),
    ],
)
def test_cooldown_and_deduplication(given, hist, action, suppressed, reason_part):
    decision = decide(given, POLICY, hist)
    assert (decision.action, decision.suppressed) == (action, suppressed)
    assert any(reason_part in r for r in decision.reasons), decision.reasons


def test_weighted_share():
    assert scores(drifted=["vip"]).weighted_share() == pytest.approx(3 / 13)
    assert DriftScores(rows=1).weighted_share() == 0.0


@pytest.mark.parametrize(
    ("state", "age_h", "blocks"),
    [
        ("RUNNING", 1, True),  # alive within the cooldown
        ("RUNNING", 30, False),  # left RUNNING by a dead worker: older than the cooldown
        ("SCHEDULED", 2, True),
        ("PAUSED", 25, False),
        ("COMPLETED", 1, False),
        ("CRASHED", 1, False),
        (None, 1, False),
    ],
)
def test_only_a_recently_updated_unfinished_run_blocks_another(state, age_h, blocks):
    from slipway.core.drift import in_progress

    now = datetime(2026, 1, 2, tzinfo=UTC)
    assert in_progress(state, now - timedelta(hours=age_h), now, timedelta(hours=24)) is blocks


def test_a_run_with_no_update_time_counts_as_in_progress():
    from slipway.core.drift import in_progress

    assert in_progress("RUNNING", None, datetime.now(UTC), timedelta(hours=1))
