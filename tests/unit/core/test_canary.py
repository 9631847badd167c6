"""Canary analysis: histogram quantiles, Jensen-Shannon, every check's pass/fail/inconclusive."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from slipway.core.canary import (
    METRICS,
    CanaryPolicy,
    ShadowWindow,
    StepWindow,
    VariantWindow,
    analyze_step,
    describe,
    g_test_p_value,
    histogram_quantile,
    js_divergence,
)

BOUNDS = ["0.001", "0.005", "0.01", "0.05", "0.1", "+Inf"]


def buckets(*latencies_s: float) -> dict[str, float]:
    """Cumulative buckets for the given observations."""
    return {le: float(sum(1 for x in latencies_s if x <= float(le))) for le in BOUNDS}


def variant(n=100, errors=0, rejections=0, latency=0.003, classes=None) -> VariantWindow:
    classes = classes if classes is not None else {"0": n / 2, "1": n / 2}
    return VariantWindow(
        requests=n,
        errors=errors,
        rejections=rejections,
        latency_buckets=buckets(*([latency] * int(n))),
        classes=classes,
    )


def check(analysis, metric):
    return next(c for c in analysis.checks if c.metric == metric)


# --- histogram_quantile -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "bucket_counts", "expected"),
    [
        (0.5, {"0.1": 10, "+Inf": 10}, 0.05),  # linear inside the first bucket
        (0.99, {"0.1": 0, "0.2": 100, "+Inf": 100}, 0.199),
        (1.0, {"0.1": 5, "0.2": 10, "+Inf": 10}, 0.2),
        (0.99, {"0.1": 10, "+Inf": 20}, 0.1),  # in +Inf: highest finite bound
        (0.5, {"1": 4, "1.0": 0, "+Inf": 4}, 0.5),  # same bound spelled twice adds up
        (0.0, {"0.1": 0, "0.2": 5, "+Inf": 5}, 0.1),
    ],
)
def test_histogram_quantile_interpolates_like_prometheus(q, bucket_counts, expected):
    assert histogram_quantile(q, {k: float(v) for k, v in bucket_counts.items()}) == pytest.approx(
        expected
    )


@pytest.mark.parametrize("bucket_counts", [{}, {"0.1": 3.0}, {"0.1": 0.0, "+Inf": 0.0}])
def test_histogram_quantile_without_data_is_none(bucket_counts):
    assert histogram_quantile(0.99, bucket_counts) is None


@pytest.mark.parametrize("q", [-0.1, 1.5])
def test_histogram_quantile_refuses_bad_quantile(q):
    with pytest.raises(ValueError, match="outside"):
        histogram_quantile(q, {"+Inf": 1.0})


# --- js_divergence ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "q", "expected"),
    [
        ({"a": 5}, {"a": 50}, 0.0),
        ({"a": 1}, {"b": 1}, 1.0),
        ({"a": 1, "b": 1}, {"a": 1}, 0.311278),
        ({"a": 1, "b": 1}, {"b": 3, "a": 3}, 0.0),
    ],
)
def test_js_divergence_base_2(p, q, expected):
    assert js_divergence(p, q) == pytest.approx(expected, abs=1e-6)
    assert js_divergence(q, p) == pytest.approx(expected, abs=1e-6)  # symmetric


@pytest.mark.parametrize(("p", "q"), [({}, {"a": 1}), ({"a": 0}, {"a": 1}), ({"a": 1}, {})])
def test_js_divergence_without_data_is_none(p, q):
    assert js_divergence(p, q) is None


# --- analyze_step -----------------------------------------------------------------------


def test_identical_variants_pass_every_check():
    analysis = analyze_step(StepWindow(champion=variant(), candidate=variant()), CanaryPolicy())
    assert analysis.status == "pass"
    assert [c.metric for c in analysis.checks] == [m for m in METRICS if m != "shadow_agreement"]
    assert all(c.status == "pass" for c in analysis.checks)


@pytest.mark.parametrize(
    ("candidate", "metric"),
    [
        (variant(errors=5), "error_rate"),
        (variant(rejections=10), "validation_rejection_rate"),
        (variant(latency=0.08), "latency_p99_ratio"),
        (variant(classes={"7": 50, "8": 50}), "prediction_divergence"),
    ],
)
def test_each_metric_can_fail_alone(candidate, metric):
    analysis = analyze_step(StepWindow(champion=variant(), candidate=candidate), CanaryPolicy())
    assert analysis.status == "fail"
    assert [c.metric for c in analysis.failed()] == [metric]


@pytest.mark.parametrize(
    ("cand_errors", "champ_errors", "status"),
    [
        (0, 0, "pass"),
        (1, 0, "pass"),
        (2, 0, "fail"),
        (11, 10, "pass"),
        (13, 10, "fail"),
        (5, 10, "pass"),
        (100, 0, "fail"),
    ],
)
def test_error_rate_is_compared_with_the_champion(cand_errors, champ_errors, status):
    window = StepWindow(
        champion=variant(errors=champ_errors), candidate=variant(errors=cand_errors)
    )
    assert (
        check(
            analyze_step(window, CanaryPolicy(max_error_rate_increase=0.015)), "error_rate"
        ).status
        == status
    )


@pytest.mark.parametrize(
    ("cand_s", "champ_s", "tolerance_ms", "status"),
    [
        (0.003, 0.003, 5, "pass"),
        (0.008, 0.003, 5, "pass"),  # 2.7x slower but only 5 ms at most: under the tolerance
        (0.04, 0.003, 5, "fail"),
        (0.008, 0.003, 0, "fail"),
        (0.09, 0.07, 5, "pass"),  # +20 ms but the ratio is under 1.5
        (0.0005, 0.003, 0, "pass"),  # faster
    ],
)
def test_latency_needs_both_ratio_and_absolute_slowdown(cand_s, champ_s, tolerance_ms, status):
    window = StepWindow(champion=variant(latency=champ_s), candidate=variant(latency=cand_s))
    result = check(
        analyze_step(window, CanaryPolicy(latency_tolerance_ms=tolerance_ms)), "latency_p99_ratio"
    )
    assert result.status == status


def test_latency_without_histogram_is_inconclusive():
    window = StepWindow(
        champion=variant(), candidate=variant().model_copy(update={"latency_buckets": {}})
    )
    analysis = analyze_step(window, CanaryPolicy())
    assert check(analysis, "latency_p99_ratio").status == "inconclusive"
    assert analysis.status == "inconclusive"


def test_zero_champion_latency_does_not_divide_by_zero():
    window = StepWindow(champion=variant(latency=0.0), candidate=variant(latency=0.0))
    assert check(analyze_step(window, CanaryPolicy()), "latency_p99_ratio").status == "pass"


@pytest.mark.parametrize(
    ("cand", "champ"),
    [(0, 100), (100, 0), (0, 0), (19, 100), (100, 19)],
)
def test_too_few_requests_is_inconclusive_never_a_pass(cand, champ):
    window = StepWindow(champion=variant(n=champ), candidate=variant(n=cand))
    analysis = analyze_step(window, CanaryPolicy(min_requests=20))
    assert analysis.status == "inconclusive"
    assert all(c.status == "inconclusive" for c in analysis.checks)
    assert "too few requests" in analysis.checks[0].detail


def test_a_failure_outranks_inconclusive():
    window = StepWindow(
        champion=variant(), candidate=variant(latency=0.09).model_copy(update={"classes": {}})
    )
    analysis = analyze_step(window, CanaryPolicy())
    assert analysis.status == "fail"
    assert check(analysis, "prediction_divergence").status == "inconclusive"


def test_baseline_stands_in_when_champion_has_too_few_requests():
    window = StepWindow(champion=variant(n=0, classes={}), candidate=variant())
    with_baseline = analyze_step(window, CanaryPolicy(), baseline=variant(n=300))
    assert with_baseline.status == "pass" and with_baseline.baseline_used
    assert analyze_step(window, CanaryPolicy(), baseline=variant(n=5)).status == "inconclusive"
    assert analyze_step(window, CanaryPolicy()).status == "inconclusive"


def test_baseline_is_ignored_when_champion_has_enough():
    analysis = analyze_step(
        StepWindow(champion=variant(), candidate=variant()),
        CanaryPolicy(),
        baseline=variant(errors=100),
    )
    assert not analysis.baseline_used


@pytest.mark.parametrize(
    ("shadow", "status"),
    [
        (ShadowWindow(comparisons=100, agreements=99), "pass"),
        (ShadowWindow(comparisons=100, agreements=95), "pass"),
        (ShadowWindow(comparisons=100, agreements=94), "fail"),
        (ShadowWindow(comparisons=5, agreements=5), "inconclusive"),
        (ShadowWindow(), "inconclusive"),
    ],
)
def test_shadow_agreement(shadow, status):
    window = StepWindow(champion=variant(), candidate=variant(), shadow=shadow)
    assert check(analyze_step(window, CanaryPolicy()), "shadow_agreement").status == status


def test_disabled_metrics_are_not_checked():
    window = StepWindow(champion=variant(), candidate=variant(latency=0.09))
    analysis = analyze_step(window, CanaryPolicy(disabled=("latency_p99_ratio",)))
    assert analysis.status == "pass"
    assert "latency_p99_ratio" not in [c.metric for c in analysis.checks]


def test_all_metrics_disabled_is_inconclusive():
    analysis = analyze_step(
        StepWindow(champion=variant(), candidate=variant()), CanaryPolicy(disabled=METRICS)
    )
    assert analysis.status == "inconclusive"


@pytest.mark.parametrize(
    "bad",
    [
        {"min_requests": 0},
        {"max_p99_latency_ratio": 0.5},
        {"failure_limit": -1},
        {"unknown": 1},
        {"max_prediction_divergence": 2},
        {"disabled": ("latency",)},
    ],
)
def test_policy_refuses_bad_values(bad):
    with pytest.raises(ValidationError):
        CanaryPolicy(**bad)


def test_variant_windows_add_up():
    total = variant(n=10, errors=1) + variant(n=30, errors=2, classes={"1": 30})
    assert total.requests == 40 and total.errors == 3
    assert total.classes == {"0": 5, "1": 35}
    assert total.latency_buckets["+Inf"] == 40


def test_describe_is_one_line_with_every_metric():
    analysis = analyze_step(
        StepWindow(champion=variant(), candidate=variant(errors=50)), CanaryPolicy()
    )
    line = describe(analysis)
    assert "\n" not in line and line.startswith("fail")
    assert "error_rate=0.5 FAIL" in line and "prediction_divergence=" in line
    assert not math.isnan(check(analysis, "error_rate").value)


# --- divergence: effect size and significance ------------------------------------------------


@pytest.mark.parametrize(
    ("p", "q", "low", "high"),
    [
        ({"a": 50, "b": 50}, {"a": 50, "b": 50}, 0.99, 1.0),
        ({"a": 100}, {"b": 100}, 0.0, 1e-10),
        ({"a": 5, "b": 5}, {"a": 6, "b": 4}, 0.5, 1.0),
        ({"a": 3}, {"a": 7}, 1.0, 1.0),  # one class only: nothing to test
    ],
)
def test_g_test_p_value(p, q, low, high):
    assert low <= g_test_p_value(p, q) <= high


def test_g_test_without_data_is_none():
    assert g_test_p_value({}, {"a": 1}) is None


def test_small_samples_of_one_distribution_do_not_fail_on_noise():
    """Ten classes, 20 vs 60 predictions: JS is above 0.1 by chance, the G-test says noise."""
    cand = {str(i): 2.0 for i in range(10)}
    champ = {str(i): 6.0 for i in range(10)}
    cand.update({"0": 5.0, "1": 0.0, "2": 0.0, "3": 3.0})  # a lumpy but plausible sample
    window = StepWindow(
        champion=variant(n=60, classes=champ), candidate=variant(n=20, classes=cand)
    )
    result = check(analyze_step(window, CanaryPolicy()), "prediction_divergence")
    assert result.value > 0.1 and result.status == "pass"


def test_a_real_shift_fails_even_on_small_samples():
    window = StepWindow(
        champion=variant(n=60, classes={"0": 20, "1": 20, "2": 20}),
        candidate=variant(n=20, classes={str(i): 2 for i in range(10)}),
    )
    assert check(analyze_step(window, CanaryPolicy()), "prediction_divergence").status == "fail"


def test_shadow_phase_judges_only_the_shadows_answers():
    """No requests/latency of its own (it answers no client): agreement and divergence only."""
    shadow_variant = VariantWindow(classes={"0": 50, "1": 50})
    window = StepWindow(
        champion=variant(),
        candidate=shadow_variant,
        shadow=ShadowWindow(comparisons=100, agreements=99),
    )
    analysis = analyze_step(window, CanaryPolicy())
    assert analysis.status == "pass" and analysis.candidate_requests == 100
    assert [c.metric for c in analysis.checks] == ["prediction_divergence", "shadow_agreement"]


def test_shadow_phase_without_comparisons_is_inconclusive():
    window = StepWindow(champion=variant(), candidate=VariantWindow(), shadow=ShadowWindow())
    assert analyze_step(window, CanaryPolicy()).status == "inconclusive"


# -- prediction confidence -----------------------------------------------------------------
def _confident(requests: float, mean: float, count: float | None = None):
    from slipway.core.canary import VariantWindow

    n = requests if count is None else count
    return VariantWindow(
        requests=requests, classes={"1": requests}, confidence_sum=mean * n, confidence_count=n
    )


@pytest.mark.parametrize(
    "cand, champ, status",
    [
        ((100, 0.95), (100, 0.96), "pass"),
        ((100, 0.70), (100, 0.96), "fail"),
        ((100, 0.99), (100, 0.80), "pass"),
        ((100, 0.70, 5), (100, 0.96), "inconclusive"),
        ((100, 0.0, 0), (100, 0.0, 0), "pass"),
    ],
)
def test_confidence_check(cand, champ, status):
    from slipway.core.canary import CanaryPolicy, StepWindow, analyze_step

    window = StepWindow(candidate=_confident(*cand), champion=_confident(*champ))
    analysis = analyze_step(window, CanaryPolicy(max_confidence_drop=0.1))
    (check,) = [c for c in analysis.checks if c.metric == "prediction_confidence"]
    assert check.status == status, check.detail
