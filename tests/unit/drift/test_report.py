"""The drift report: markdown names the decision and every column; the chart is a real PNG."""

from __future__ import annotations

from datetime import UTC, datetime

from slipway.core.drift import Decision, DriftScores, FeatureScore, Performance
from slipway.drift import report as drift_report
from slipway.drift.params import MonitorResult

T = datetime(2026, 11, 28, tzinfo=UTC)


def result(scores=None, action="retrain"):
    return MonitorResult(
        model_name="m",
        version="3",
        window_start=T,
        window_end=T,
        profiles=["k1", "k2"],
        scores=scores,
        decision=Decision(action=action, reasons=["because"], drifted=["a"]),
    )


SCORES = DriftScores(
    rows=500,
    features=[
        FeatureScore(name="a", test="ks", statistic=0.4, pvalue=1e-9, threshold=0.1, drifted=True),
        FeatureScore(name="b", test="hellinger", statistic=0.05, threshold=0.2, drifted=False),
    ],
    prediction=FeatureScore(
        name="prediction",
        test="chi-square",
        statistic=0.02,
        pvalue=0.7,
        threshold=0.1,
        drifted=False,
    ),
    performance=Performance(metric="accuracy", baseline=0.97, current=0.9, rows=100),
)


def test_markdown_has_decision_reasons_and_a_row_per_column():
    text = drift_report.markdown(result(SCORES), chart_uri="s3://b/drift.png")
    assert "**Decision: `retrain`**" in text and "- because" in text
    assert "| a | ks | 0.400 | 0.1 | 1e-09 | 1 | **drift** |" in text
    assert "| b | hellinger | 0.050 | 0.2 |  | 1 |  |" in text
    assert "| prediction | chi-square |" in text
    assert "accuracy 0.9000 on 100 labelled rows (at release 0.9700, drop 0.0700)" in text
    assert "Chart: s3://b/drift.png" in text


def test_markdown_of_no_data():
    text = drift_report.markdown(result(None, action="no-data"))
    assert "**Decision: `no-data`**" in text and "| column |" not in text


def test_chart_is_a_png():
    data = drift_report.chart_png(SCORES, "title")
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def test_metrics_for_mlflow():
    metrics = drift_report.metrics(result(SCORES))
    assert metrics["drift_a"] == 0.4 and metrics["drift_features_drifted"] == 1
    assert metrics["window_accuracy"] == 0.9
    assert drift_report.metrics(result(None, "no-data")) == {
        "drift_rows": 0.0,
        "drift_no_data": 1.0,
    }


def test_markdown_shows_adjusted_pvalues_null_shifts_and_unscorable_columns():
    from slipway.core.drift import NullShift

    scores = DriftScores(
        rows=200,
        correction="bh",
        tests=2,
        features=[
            FeatureScore(
                name="a",
                test="ks",
                statistic=0.3,
                pvalue=0.01,
                adjusted_pvalue=0.02,
                threshold=0.1,
                drifted=True,
                distribution_drifted=True,
            ),
            FeatureScore(
                name="n",
                test="ks",
                statistic=0.02,
                pvalue=0.9,
                adjusted_pvalue=0.9,
                threshold=0.1,
                drifted=True,
                nulls=NullShift(reference=0.0, current=0.2, adjusted_pvalue=1e-6, drifted=True),
            ),
            FeatureScore(
                name="s",
                test="ks",
                statistic=None,
                threshold=0.1,
                drifted=False,
                unscorable="its type changed",
            ),
        ],
    )
    text = drift_report.markdown(result(scores))
    assert "| a | ks | 0.300 | 0.1 | 0.01 (adjusted 0.02) | 1 | **drift** |" in text
    assert "| n | ks | 0.020 | 0.1 | 0.9 | 1 | **drift** nulls 0.0% -> 20.0%" in text
    assert "| s | ks | n/a | 0.1 |  | 1 |  not scored: its type changed |" in text
    assert "p-values adjusted over 2 tests (bh)." in text


def test_markdown_shows_the_counterfactual_or_that_it_could_not_compare():
    from slipway.core.drift import Counterfactual

    cf = Counterfactual(
        version="2",
        metric="accuracy",
        previous=0.05,
        champion=0.04,
        rows=100,
        test="mcnemar-exact",
        p_value=0.5,
        better=False,
    )
    perf = SCORES.performance.model_copy(update={"previous": cf})
    text = drift_report.markdown(result(SCORES.model_copy(update={"performance": perf})))
    assert (
        "Counterfactual: `previous` v2 accuracy 0.0500 vs the champion's 0.0400 on the same 100 "
        "labelled rows (mcnemar-exact, p=0.5): no better." in text
    )
    unlabelled = drift_report.markdown(
        result(SCORES.model_copy(update={"performance": None}), action="rollback")
    )
    assert "No labelled window: `previous` could not be compared with the champion." in unlabelled
