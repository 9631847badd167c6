"""`judge_columns` and `dataset_verdict`: the correction before the thresholds, null shares,
untestable and unscorable columns, the CLI's dataset verdict. Pure, given/when/then."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from slipway.core.drift import DriftScores, History, dataset_verdict, decide
from slipway.core.drift_policy import DriftPolicy, ResolvedRule
from slipway.core.drift_verdicts import ColumnMeasure, NullCounts, family_size, judge_columns

KS = ResolvedRule(test="ks", threshold=0.1, weight=1.0)
NOW = datetime(2026, 11, 29, tzinfo=UTC)


def measure(name, pvalue, statistic=0.5, **kw):
    return ColumnMeasure(
        name=name, rule=kw.pop("rule", KS), statistic=statistic, pvalue=pvalue, **kw
    )


def nulls(ref, ref_rows, cur, cur_rows):
    return NullCounts(
        reference_nulls=ref, reference_rows=ref_rows, current_nulls=cur, current_rows=cur_rows
    )


def flagged(measures, **policy):
    return [f.name for f in judge_columns(measures, DriftPolicy(**policy)) if f.drifted]


def test_one_small_pvalue_among_30_columns_is_not_drift_after_the_correction():
    # given 29 quiet columns and one at p = 0.01 (a 1-in-100 event, expected once in 30 columns)
    measures = [measure(f"c{i}", 0.9) for i in range(29)] + [measure("c29", 0.01)]
    # then it drifts without a correction, not under Benjamini-Hochberg or Holm (0.3 adjusted)
    assert flagged(measures, correction="none") == ["c29"]
    assert flagged(measures) == flagged(measures, correction="holm") == []
    assert judge_columns(measures, DriftPolicy())[-1].adjusted_pvalue == pytest.approx(0.3)


def test_bh_keeps_many_moderate_shifts_that_holm_drops():
    measures = [measure(f"c{i}", 0.01) for i in range(30)]
    assert len(flagged(measures)) == 30  # BH: 30 * 0.01 / 30
    assert flagged(measures, correction="holm") == []


def test_the_effect_size_applies_after_the_correction():
    measures = [measure("big", 1e-12, statistic=0.4), measure("tiny", 1e-12, statistic=0.05)]
    assert flagged(measures) == ["big"]


def test_columns_that_cannot_reject_are_left_out_of_the_family():
    # given ten constant columns (p = 1 whatever happens) and one column at p = 0.02
    measures = [measure(f"const{i}", 1.0, statistic=0.0, testable=False) for i in range(10)]
    measures.append(measure("x", 0.02))
    scores = judge_columns(measures, DriftPolicy())
    # then the family is one test, not eleven (which would adjust 0.02 up to 0.22)
    assert [f.name for f in scores if f.drifted] == ["x"]
    assert family_size(scores) == 1
    assert scores[0].pvalue == 1.0 and scores[0].adjusted_pvalue is None


def test_twenty_percent_new_nulls_is_drift_of_the_column():
    # given a column whose distribution did not move but that lost 20% of its values
    measures = [
        measure("a", 0.8, statistic=0.05, nulls=nulls(0, 800, 40, 200)),
        measure("b", 0.7, statistic=0.04, nulls=nulls(8, 800, 2, 200)),
    ]
    a, b = judge_columns(measures, DriftPolicy())
    assert a.drifted and not a.distribution_drifted
    assert (a.nulls.reference, a.nulls.current, a.nulls.drifted) == (0.0, 0.2, True)
    assert "nulls 0.0% -> 20.0% (|change| 0.200 >= 0.05" in a.describe()
    assert not b.drifted and b.nulls.pvalue == pytest.approx(1.0)


def test_a_significant_but_small_null_change_is_below_the_threshold():
    # 2% more nulls over 100,000 rows: significant, under null_threshold 0.05
    m = measure("a", 0.5, statistic=0.01, nulls=nulls(1000, 100_000, 3000, 100_000))
    (score,) = judge_columns([m], DriftPolicy())
    assert score.nulls.adjusted_pvalue < 1e-10 and not score.drifted
    rule = DriftPolicy(null_threshold=0.01).rule("a", numeric=True)
    (score,) = judge_columns([m.model_copy(update={"rule": rule})], DriftPolicy())
    assert score.drifted


def test_null_tests_are_part_of_the_family():
    measures = [measure(f"c{i}", 0.9, nulls=nulls(0, 500, 0, 100)) for i in range(5)]
    measures.append(measure("n", 0.9, nulls=nulls(10, 500, 2, 100)))
    assert family_size(judge_columns(measures, DriftPolicy())) == 7  # 6 columns + 1 null test


def test_unscorable_columns_are_reported_never_no_drift():
    measures = [
        *[measure(f"ok{i}", 0.9, statistic=0.02) for i in range(9)],
        ColumnMeasure(
            name="gone",
            rule=KS,
            unscorable="all 200 values in the window are null",
            nulls=nulls(0, 800, 200, 200),
        ),
    ]
    scores = DriftScores(rows=200, features=judge_columns(measures, DriftPolicy()))
    gone = scores.features[-1]
    assert (gone.statistic, gone.unscorable) == (None, "all 200 values in the window are null")
    assert gone.drifted  # its null share moved from 0% to 100%
    assert [f.name for f in scores.unscorable] == ["gone"]
    decision = decide(scores, DriftPolicy(), History(now=NOW))
    assert decision.action == "alert-only"
    assert any("gone (all 200 values in the window are null)" in r for r in decision.reasons)


@pytest.mark.parametrize(
    "features, rows, policy, verdict",
    [
        ([measure("a", 0.9)], 200, {}, "no drift"),
        ([measure("a", 1e-9)], 200, {}, "drift"),  # one column of one: weighted share 1.0
        ([measure("a", 1e-9), *[measure(f"q{i}", 0.9) for i in range(9)]], 200, {}, "no drift"),
        (
            [
                measure("a", 1e-9, rule=KS.model_copy(update={"weight": 3})),
                *[measure(f"q{i}", 0.9) for i in range(9)],
            ],
            200,
            {"retrain": {"important_weight": 3}},
            "drift",
        ),
        ([ColumnMeasure(name="s", rule=KS, unscorable="its type changed")], 200, {}, "alert"),
        ([measure("a", 0.9)], 49, {}, "no-data"),
    ],
    ids=["quiet", "all-drift", "below-share", "important", "unscorable", "min-rows"],
)
def test_dataset_verdict(features, rows, policy, verdict):
    policy = DriftPolicy(**policy)
    scores = DriftScores(rows=rows, features=judge_columns(features, policy))
    assert dataset_verdict(scores, policy, NOW)[0] == verdict


def test_missing_columns_alert():
    scores = DriftScores(
        rows=100, features=judge_columns([measure("a", 0.9)], DriftPolicy()), missing=["b"]
    )
    verdict, decision = dataset_verdict(scores, DriftPolicy(), NOW)
    assert verdict == "alert" and "columns missing from production profiles: b" in decision.reasons
