"""compare-with-champion's gate records (classifiers and regressors) from real paired tests."""

from __future__ import annotations

import numpy as np

from slipway.compare.params import CompareParams
from slipway.compare.stage import compare_predictions, comparison_gate, lines
from slipway.core.evidence import GateResult


def params(**kw) -> CompareParams:
    return CompareParams(name="m", candidate_dir="/c", eval_data="e.csv", target_column="y", **kw)


def test_a_much_worse_classifier_fails_with_both_values_in_the_summary():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    champion = y.copy()
    candidate = rng.integers(0, 3, 300)
    gate = comparison_gate(
        compare_predictions(params(), "classification", y, candidate, champion), "4"
    )
    assert gate.status == "failed"
    assert gate.summary.startswith("accuracy candidate 0.")
    assert "vs champion (version 4) 1.0000 on 300 rows (mcnemar-exact" in gate.summary
    assert gate.details["champion_version"] == "4" and gate.details["champion_only"] > 150


def test_a_regressor_is_compared_on_mae_with_a_paired_bootstrap():
    rng = np.random.default_rng(1)
    y = rng.normal(size=400)
    champion = y + rng.normal(scale=0.1, size=400)
    same = compare_predictions(params(), "regression", y, champion, champion)
    assert (same.metric, same.test, same.passed) == ("mae", "paired-bootstrap", True)
    worse = compare_predictions(
        params(regression_metric="rmse"), "regression", y, y + 1.0, champion
    )
    assert worse.metric == "rmse" and not worse.passed
    allowed = compare_predictions(params(max_regression=2.0), "regression", y, y + 1.0, champion)
    assert allowed.passed


def test_lines_name_each_gate():
    from slipway.compare.params import CompareResult

    result = CompareResult(
        champion_version="2",
        gates={"champion_comparison": GateResult(status="passed", summary="accuracy ...")},
        summary="s",
    )
    assert lines(result) == ["champion_comparison: passed: accuracy ..."]
    assert lines(CompareResult(summary="no champion yet")) == ["no champion yet"]
