"""PromQL for a window and Prometheus API answers parsed back into series."""

from __future__ import annotations

import pytest

from slipway.core.promql import quote, range_seconds, series_from_response, window_queries
from slipway.core.promtext import LATENCY_BUCKET, PREDICTIONS, REQUESTS, SHADOW, key


def test_one_increase_query_per_counter_over_the_window():
    queries = window_queries("digits", 12.2)
    assert queries[REQUESTS] == (
        "sum by (model, version, variant, code) "
        '(increase(slipway_requests_total{model="digits"}[13s]))'
    )
    assert "le" in queries[LATENCY_BUCKET] and "[13s]" in queries[LATENCY_BUCKET]
    assert "class" in queries[PREDICTIONS]
    assert "agree" in queries[SHADOW]


@pytest.mark.parametrize(
    ("value", "expected"), [('a"b', '"a\\"b"'), ("a\\b", '"a\\\\b"'), ("plain", '"plain"')]
)
def test_label_values_are_escaped(value, expected):
    assert quote(value) == expected


@pytest.mark.parametrize(("seconds", "expected"), [(0.2, 1), (1.0, 1), (59.01, 60)])
def test_range_is_whole_seconds_rounded_up(seconds, expected):
    assert range_seconds(seconds) == expected


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf")])
def test_range_refuses_non_positive(seconds):
    with pytest.raises(ValueError, match="positive"):
        range_seconds(seconds)


def vector(*samples):
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {"metric": labels, "value": [1700000000.0, value]} for labels, value in samples
            ],
        },
    }


def test_vector_becomes_series():
    body = vector(
        ({"model": "m", "version": "1", "variant": "champion", "code": "200"}, "41.5"),
        ({"model": "m", "version": "1", "variant": "champion", "code": "500"}, "NaN"),
    )
    series = series_from_response(REQUESTS, body)
    assert series == {
        key(REQUESTS, {"model": "m", "version": "1", "variant": "champion", "code": "200"}): 41.5
    }


def test_empty_vector_is_empty_series():
    assert series_from_response(REQUESTS, vector()) == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"status": "error", "errorType": "bad_data", "error": "parse error"},
            "bad_data: parse error",
        ),
        ({"status": "success", "data": {"resultType": "matrix", "result": []}}, "instant vector"),
        (
            {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}},
            "malformed",
        ),
        ([1, 2], "not a JSON object"),
    ],
)
def test_bad_answers_are_clear_errors(body, message):
    with pytest.raises(ValueError, match=message):
        series_from_response(REQUESTS, body)
