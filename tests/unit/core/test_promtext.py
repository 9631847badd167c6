"""Prometheus text format: parse, delta with counter resets, canary windows per variant."""

from __future__ import annotations

import pytest

from slipway.core.promtext import add, delta, key, norm_le, parse_text, step_window

TEXT = """\
# TYPE slipway_requests_total counter
slipway_requests_total{model="m",version="1",variant="champion",code="200"} 90
slipway_requests_total{model="m",version="1",variant="champion",code="500"} 1
slipway_requests_total{model="m",version="2",variant="canary",code="200"} 8
slipway_requests_total{model="m",version="2",variant="canary",code="503"} 2
slipway_requests_total{model="m",version="2",variant="canary",code="422"} 1
slipway_requests_total{model="other",version="2",variant="canary",code="500"} 50
# TYPE slipway_requests_created gauge
slipway_requests_created{model="m",version="1",variant="champion",code="200"} 1.7e9
# TYPE slipway_validation_rejections_total counter
slipway_validation_rejections_total{model="m",version="2",variant="canary"} 1
# TYPE slipway_request_latency_seconds histogram
slipway_request_latency_seconds_bucket{model="m",version="2",variant="canary",le="0.01"} 6
slipway_request_latency_seconds_bucket{model="m",version="2",variant="canary",le="1.0"} 11
slipway_request_latency_seconds_bucket{model="m",version="2",variant="canary",le="+Inf"} 11
slipway_request_latency_seconds_count{model="m",version="2",variant="canary"} 11
slipway_request_latency_seconds_sum{model="m",version="2",variant="canary"} 0.4
# TYPE slipway_predictions_total counter
slipway_predictions_total{model="m",version="1",variant="champion",class="3"} 60
slipway_predictions_total{model="m",version="1",variant="champion",class="4"} 30
slipway_predictions_total{model="m",version="2",variant="canary",class="3"} 8
slipway_predictions_total{model="m",version="2",variant="shadow",class="9"} 40
# TYPE slipway_shadow_comparisons_total counter
slipway_shadow_comparisons_total{model="m",champion_version="1",shadow_version="2",agree="true"} 30
slipway_shadow_comparisons_total{model="m",champion_version="1",shadow_version="2",agree="false"} 10
slipway_shadow_comparisons_total{model="m",champion_version="1",shadow_version="3",agree="false"} 99
# TYPE slipway_prediction_confidence histogram
slipway_prediction_confidence_bucket{model="m",version="2",variant="canary",le="+Inf"} 8
slipway_prediction_confidence_count{model="m",version="2",variant="canary"} 8
slipway_prediction_confidence_sum{model="m",version="2",variant="canary"} 6.0
"""


def test_parse_keeps_only_the_counters_it_needs():
    series = parse_text(TEXT)
    assert (
        series[
            key(
                "slipway_requests_total",
                {"model": "m", "version": "1", "variant": "champion", "code": "200"},
            )
        ]
        == 90
    )
    names = {name for name, _ in series}
    assert "slipway_requests_created" not in names
    assert "slipway_request_latency_seconds_count" not in names


@pytest.mark.parametrize("text", ["this is not { metrics", 'slipway_requests_total{model="m" 3'])
def test_parse_refuses_garbage_with_a_clear_error(text):
    with pytest.raises(ValueError, match="not Prometheus text format"):
        parse_text(text)


def test_parse_empty_text_is_an_empty_map():
    assert parse_text("") == {}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (5.0, 8.0, 3.0),
        (5.0, 5.0, 0.0),
        (5.0, 2.0, 2.0),  # reset: the gateway restarted, counting from zero
        (None, 4.0, 4.0),  # a new series
    ],
)
def test_delta_handles_new_series_and_resets(before, after, expected):
    k = key("slipway_requests_total", {"code": "200"})
    assert delta({} if before is None else {k: before}, {k: after})[k] == expected


def test_add_sums_replicas():
    k = key("c", {"a": "1"})
    assert add({k: 1.0}, {k: 2.0, key("c", {}): 5.0}) == {k: 3.0, key("c", {}): 5.0}


@pytest.mark.parametrize(
    ("text", "expected"), [("1", "1.0"), ("1.0", "1.0"), ("+Inf", "+Inf"), ("0.005", "0.005")]
)
def test_bucket_bounds_have_one_spelling(text, expected):
    assert norm_le(text) == expected


def test_canary_window_reads_champion_and_canary():
    window = step_window(parse_text(TEXT), "m", "1", "2", "canary", seconds=5)
    assert (window.champion.requests, window.champion.errors) == (91, 1)
    assert (window.candidate.requests, window.candidate.errors, window.candidate.rejections) == (
        11,
        2,
        1,
    )
    assert window.candidate.latency_buckets == {"0.01": 6, "1.0": 11, "+Inf": 11}
    assert window.champion.classes == {"3": 60, "4": 30}
    assert window.candidate.classes == {"3": 8}
    assert window.shadow is None and window.seconds == 5


def test_shadow_window_reads_the_shadow_variant_and_agreement():
    window = step_window(parse_text(TEXT), "m", "1", "2", "shadow")
    assert window.candidate.classes == {"9": 40}
    assert (window.shadow.comparisons, window.shadow.agreements) == (40, 30)


def test_other_models_and_versions_are_ignored():
    window = step_window(parse_text(TEXT), "m", "1", "7", "canary")
    assert window.candidate.requests == 0 and window.candidate.classes == {}


def test_the_confidence_histogram_gives_the_variants_mean_confidence():
    from slipway.core.promtext import variant_window

    window = variant_window(parse_text(TEXT), "m", "2", "canary")
    assert (window.confidence_count, window.mean_confidence) == (8, 0.75)
    assert variant_window(parse_text(TEXT), "m", "1", "champion").mean_confidence is None
