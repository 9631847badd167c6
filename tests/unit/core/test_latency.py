"""Pure latency logic: percentiles, noise rule, throughput, the SLO gate and the selection."""

from __future__ import annotations

import pytest

from slipway.core.latency import (
    BenchRow,
    needs_repeat,
    parse_positive_ints,
    percentile,
    select,
    summarize,
    throughput,
)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 50, 5.0),
        ([1.0, 2.0, 3.0], 0, 1.0),
        ([1.0, 2.0, 3.0], 50, 2.0),
        ([1.0, 2.0, 3.0], 100, 3.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([float(i) for i in range(1, 101)], 99, 99.01),
        ([float(i) for i in range(1, 101)], 95, 95.05),
    ],
)
def test_percentile_interpolates_linearly(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_outside_range_is_refused(q):
    with pytest.raises(ValueError, match="outside 0..100"):
        percentile([1.0], q)


def test_summarize_gives_every_statistic():
    # given 1000 samples 1..1000 ms
    stats = summarize([float(i) for i in range(1, 1001)])
    # then the order statistics and moments are exact
    assert stats.samples == 1000
    assert stats.p50_ms == pytest.approx(500.5)
    assert stats.p95_ms == pytest.approx(950.05)
    assert stats.p99_ms == pytest.approx(990.01)
    assert stats.p999_ms == pytest.approx(999.001)
    assert stats.max_ms == 1000.0
    assert stats.mean_ms == pytest.approx(500.5)
    assert stats.std_ms == pytest.approx(288.6749, rel=1e-5)
    assert stats.cv == pytest.approx(288.6749 / 500.5, rel=1e-5)


def test_summarize_is_order_independent():
    assert summarize([3.0, 1.0, 2.0]) == summarize([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("samples", "cv"), [([2.0, 2.0, 2.0], 0.0), ([1.0, 3.0], 0.5), ([0.0, 0.0], 0.0)]
)
def test_coefficient_of_variation(samples, cv):
    assert summarize(samples).cv == pytest.approx(cv)


@pytest.mark.parametrize("samples", [[], [1.0, -0.1], [float("nan")]])
def test_summarize_refuses_bad_samples(samples):
    with pytest.raises(ValueError):
        summarize(samples)


@pytest.mark.parametrize(
    ("cv", "attempt", "max_cv", "max_attempts", "repeat"),
    [
        (0.1, 1, 0.5, 3, False),
        (0.5, 1, 0.5, 3, False),
        (0.51, 1, 0.5, 3, True),
        (0.9, 2, 0.5, 3, True),
        (0.9, 3, 0.5, 3, False),
        (2.0, 1, 0.5, 1, False),
    ],
)
def test_too_noisy_repeats_while_attempts_remain(cv, attempt, max_cv, max_attempts, repeat):
    assert needs_repeat(cv, attempt, max_cv, max_attempts) is repeat


@pytest.mark.parametrize(
    ("rows", "seconds", "rate"), [(100, 1.0, 100.0), (32, 0.5, 64.0), (0, 2.0, 0.0)]
)
def test_throughput_is_rows_per_second(rows, seconds, rate):
    assert throughput(rows, seconds) == pytest.approx(rate)


@pytest.mark.parametrize(("rows", "seconds"), [(10, 0.0), (10, -1.0), (-1, 1.0)])
def test_throughput_refuses_bad_input(rows, seconds):
    with pytest.raises(ValueError):
        throughput(rows, seconds)


def row(name, p50, p99, size=1000, **kw):
    return BenchRow(
        name=name,
        p50_ms=p50,
        p99_ms=p99,
        threads=1,
        size_bytes=size,
        best_throughput=kw.pop("tput", 1000.0),
        **kw,
    )


def test_fastest_eligible_candidate_wins_and_every_loser_has_a_reason():
    rows = [
        row("onnx-fp32", 0.03, 0.2),
        row("ort-int8", 0.02, 0.1, size=300),
        row("ov-int8", 0.05, 0.3),
    ]
    outcome = select(rows, slo_p99_ms=50)
    assert outcome.passed and outcome.candidate == "ort-int8"
    assert set(outcome.losers) == {"onnx-fp32", "ov-int8"}
    assert outcome.losers["onnx-fp32"].startswith("slower: p50 0.030 ms")


@pytest.mark.parametrize(
    ("rows", "winner"),
    [
        # a tie on p50 (within 5 %): the smaller one ships
        ([row("big", 1.00, 2.0, size=900), row("small", 1.03, 2.0, size=300)], "small"),
        # not a tie: the faster one ships even though it is larger
        ([row("big", 1.00, 2.0, size=900), row("small", 1.20, 2.0, size=300)], "big"),
        # same p50 and size: the name decides, deterministically
        ([row("b", 1.0, 2.0), row("a", 1.0, 2.0)], "a"),
    ],
)
def test_ties_go_to_the_smaller_candidate(rows, winner):
    outcome = select(rows, slo_p99_ms=10)
    assert outcome.candidate == winner
    if winner == "small":
        assert "ties with small" in outcome.losers["big"]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (
            row("x", 0.01, 0.01, status="rejected"),
            "not accepted by convert-and-quantize (status rejected)",
        ),
        (row("x", 0.01, 0.01, accuracy_passed=False), "failed the accuracy gate"),
        (
            BenchRow(name="x", measured=False, error="timeout: killed"),
            "benchmark failed: timeout: killed",
        ),
        (row("x", 0.01, 80.0), "p99 80.000 ms at batch 1 is over the SLO 50 ms"),
        (
            row("x", 0.01, 0.01, tput=10.0),
            "best throughput 10.0 rows/s is under the minimum 100 rows/s",
        ),
        (row("x", 0.01, 0.01, role="baseline"), "baseline (source framework)"),
    ],
)
def test_each_disqualification_names_its_reason(bad, reason):
    outcome = select([bad, row("ok", 1.0, 2.0)], slo_p99_ms=50, min_throughput=100)
    assert outcome.candidate == "ok"
    assert outcome.losers["x"].startswith(reason)


def test_no_candidate_meeting_the_slo_is_a_failing_result_with_every_reason():
    rows = [
        row("a", 10.0, 60.0),
        row("b", 5.0, 55.0),
        BenchRow(name="base", role="baseline", measured=True),
    ]
    outcome = select(rows, slo_p99_ms=50)
    assert not outcome.passed and outcome.candidate is None
    assert "no candidate meets the SLO p99 <= 50 ms" in outcome.why
    assert set(outcome.losers) == {"a", "b", "base"}


def test_min_throughput_appears_in_the_failure():
    outcome = select([row("a", 1.0, 2.0, tput=5.0)], slo_p99_ms=50, min_throughput=10)
    assert not outcome.passed and ">= 10 rows/s" in outcome.why


def test_slo_must_be_positive():
    with pytest.raises(ValueError, match="SLO must be > 0"):
        select([row("a", 1.0, 2.0)], slo_p99_ms=0)


@pytest.mark.parametrize(
    ("text", "values"), [("1,8,32", [1, 8, 32]), ("32, 1", [1, 32]), ("4,4", [4])]
)
def test_parse_positive_ints(text, values):
    assert parse_positive_ints(text, "--batch-sizes") == values


@pytest.mark.parametrize("text", ["", "0", "1,-8", "a,b", "1.5", "1,,2"])
def test_parse_positive_ints_refuses_anything_else(text):
    with pytest.raises(ValueError, match="--batch-sizes .*positive integers"):
        parse_positive_ints(text, "--batch-sizes")
