"""The drift policy model: durations, defaults, per-feature rules, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from slipway.core.drift_policy import DriftPolicy, FeatureRule, parse_duration


@pytest.mark.parametrize(
    "text, expected",
    [
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("45s", timedelta(seconds=45)),
        (" 2D ", timedelta(days=2)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "1w", "-1h", "0h", "1.5h", "24 hours"])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    "name, numeric, expected",
    [
        ("x", True, ("ks", 0.1, 1.0)),
        ("c", False, ("chi-square", 0.1, 1.0)),
        ("h", True, ("hellinger", 0.3, 1.0)),
        ("h", False, ("chi-square", 0.3, 1.0)),  # Hellinger needs numbers: falls back to chi-square
        ("w", True, ("ks", 0.1, 4.0)),
        ("prediction", True, ("chi-square", 0.1, 1.0)),
    ],
)
def test_rule_resolution(name, numeric, expected):
    policy = DriftPolicy(
        features={"h": FeatureRule(test="hellinger", threshold=0.3), "w": FeatureRule(weight=4)}
    )
    rule = policy.rule(name, numeric)
    assert (rule.test, rule.threshold, rule.weight) == expected


def test_thresholds_merge_with_defaults():
    policy = DriftPolicy(thresholds={"ks": 0.2})
    assert policy.thresholds == {"ks": 0.2, "chi-square": 0.1, "hellinger": 0.2}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"cooldown": "soon"}, "duration 'soon'"),
        ({"rollback": {"window": "1w"}}, "duration '1w'"),
        ({"thresholds": {"ks": 1.5}}, "threshold for ks"),
        ({"thresholds": {"wasserstein": 0.1}}, "wasserstein"),
        ({"alpha": 0}, "alpha"),
        ({"features": {"x": {"weight": -1}}}, "weight"),
        ({"features": {"x": {"test": "psi"}}}, "test"),
        ({"unknown": 1}, "unknown"),
        ({"correction": "fdr"}, "correction"),
        ({"null_threshold": 0}, "null_threshold"),
        ({"features": {"x": {"null_threshold": 1.5}}}, "null_threshold"),
    ],
)
def test_bad_policy_is_refused(data, message):
    with pytest.raises(ValidationError, match=message):
        DriftPolicy.model_validate(data)


def test_null_threshold_resolves_per_column():
    policy = DriftPolicy(null_threshold=0.1, features={"x": FeatureRule(null_threshold=0.02)})
    assert policy.rule("x", numeric=True).null_threshold == 0.02
    assert policy.rule("y", numeric=False).null_threshold == 0.1
    assert DriftPolicy().correction == "bh"
