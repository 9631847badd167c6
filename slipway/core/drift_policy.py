"""The drift policy: per-feature tests, thresholds and importance weights, and the rules
that turn drift into an action (retrain, rollback), with a cooldown. Pure: parsed from a
YAML file by `slipway.drift.policy_file`, read by `slipway.core.drift.decide`.

Every statistic is "larger means more drift", each on a 0..1 scale:
- `ks`: the Kolmogorov-Smirnov distance D between the two CDFs (numeric columns);
- `chi-square`: Cramer's V, bias-corrected (Bergsma 2013), of the chi-square test that the two
  samples share one category distribution (categorical columns);
- `hellinger`: the Hellinger distance between the two histograms (numeric, where configured;
  its p-value is the KS test's on the same sketches).
A feature drifts when its statistic reaches its threshold and its p-value, adjusted over every
test of the comparison (`correction`: Benjamini-Hochberg by default, or Holm), is below `alpha`
(small windows cannot drift by chance, many columns do not add up to a false alarm, and huge
windows cannot drift by a negligible, merely significant, difference). The share of nulls of
each column is compared the same way (two-proportion test, `null_threshold` absolute change).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from slipway.core.drift_stats import Correction

Test = Literal["ks", "chi-square", "hellinger"]
TESTS: tuple[str, ...] = ("ks", "chi-square", "hellinger")
PREDICTION = "prediction"

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(text: str) -> timedelta:
    """'24h', '7d', '90m', '1h30m', '45s' -> timedelta; raises ValueError naming the text."""
    match = _DURATION.match(str(text).strip().lower())
    if not text or not match or not any(match.groups()):
        raise ValueError(
            f"duration {text!r}: use a number with d, h, m or s, e.g. '24h', '7d', '1h30m'"
        )
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if value <= timedelta(0):
        raise ValueError(f"duration {text!r} must be longer than zero")
    return value


class FeatureRule(BaseModel):
    """Overrides for one column; anything left out falls back to the policy defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    test: Test | None = None
    threshold: float | None = Field(None, gt=0, le=1)
    weight: float | None = Field(None, ge=0)
    null_threshold: float | None = Field(None, gt=0, le=1)


class ResolvedRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    test: Test
    threshold: float
    weight: float
    null_threshold: float = 0.05


class RetrainRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    important_weight: float = Field(2.0, gt=0)
    """A drifted feature with at least this weight alone asks for a retrain."""
    drift_share: float = Field(0.3, gt=0, le=1)
    """...and so does this weighted share of drifted features."""
    on_prediction_drift: bool = True
    labelled_share: float = Field(0.5, gt=0, lt=1)
    """Share of the retraining set made of labelled window rows (resampled with replacement to
    reach it): the weight of recent production against the reference data."""
    holdout: float = Field(0.3, gt=0, lt=1)
    """Share of the labelled window kept out of training: the retrained version and the
    champion are compared on it (paired test), and both metrics are reported."""
    max_regression: float = Field(0.0, ge=0, le=1)
    """On that held-out part, the retrained version may be worse by at most this much (metric
    units), unless the paired test says the difference is noise."""
    require_labels: bool = True
    """Drift asks for a retrain only with a usable labelled window (`labels`): retraining on
    the reference data alone reproduces the same model. Without one: `alert-only`."""


class LabelRule(BaseModel):
    """What a labelled window must be to carry a decision (rollback, retrain, their choice)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_rows: int = Field(200, ge=1)
    """Fewer labelled rows: `alert-only` with the count (never a retrain on 12 rows)."""
    max_age: str = "7d"
    """Labels collected longer ago than this (newest `time_column` value, else the file's
    modification time) describe another production: `alert-only`."""
    time_column: str = "timestamp"

    @field_validator("max_age")
    @classmethod
    def _age(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def max_age_delta(self) -> timedelta:
        return parse_duration(self.max_age)


class RollbackRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window: str = "72h"
    """A regression within this long after a promotion rolls back (when `previous` exists)."""
    max_performance_drop: float = Field(0.05, ge=0, le=1)
    alpha: float = Field(0.05, gt=0, lt=1)
    """Counterfactual: `previous` must beat the champion on the labelled rows with p < alpha
    (exact McNemar test) for a rollback; otherwise the regression is retrained."""

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def window_delta(self) -> timedelta:
        return parse_duration(self.window)


class DriftPolicy(BaseModel):
    """The whole policy file (see README, 'Drift policy')."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alpha: float = Field(0.05, gt=0, lt=1)
    """The error rate of one comparison: adjusted p-values below it count (see `correction`)."""
    correction: Correction = "bh"
    """Over the tests of one comparison: `bh` (Benjamini-Hochberg), `holm`, or `none`."""
    null_threshold: float = Field(0.05, gt=0, le=1)
    """A column's share of nulls drifts when it moves by at least this much (and significantly)."""
    min_rows: int = Field(50, ge=1)
    """Fewer production rows than this in the window give `no-data`."""
    thresholds: dict[Test, float] = Field(
        default_factory=lambda: {"ks": 0.1, "chi-square": 0.1, "hellinger": 0.2}
    )
    default_weight: float = Field(1.0, ge=0)
    features: dict[str, FeatureRule] = Field(default_factory=dict)
    prediction: FeatureRule = FeatureRule(test="chi-square")
    retrain: RetrainRule = RetrainRule()
    rollback: RollbackRule = RollbackRule()
    labels: LabelRule = LabelRule()
    cooldown: str = "24h"
    """At most one retrain (and one rollback) opened per cooldown."""
    performance_metric: str = "accuracy"

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        merged = {"ks": 0.1, "chi-square": 0.1, "hellinger": 0.2, **value}
        for test, threshold in merged.items():
            if not 0 < threshold <= 1:
                raise ValueError(f"threshold for {test} is {threshold}: give a value in (0, 1]")
        return merged

    @field_validator("cooldown")
    @classmethod
    def _cooldown(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def cooldown_delta(self) -> timedelta:
        return parse_duration(self.cooldown)

    def rule(self, name: str, numeric: bool) -> ResolvedRule:
        """The test, threshold and weight for a column (`prediction` has its own entry)."""
        own = self.prediction if name == PREDICTION else self.features.get(name, FeatureRule())
        test = own.test or ("ks" if numeric else "chi-square")
        if not numeric and test != "chi-square":
            test = "chi-square"  # KS and Hellinger need a numeric distribution
        threshold = own.threshold if own.threshold is not None else self.thresholds[test]
        weight = own.weight if own.weight is not None else self.default_weight
        nulls = own.null_threshold if own.null_threshold is not None else self.null_threshold
        return ResolvedRule(test=test, threshold=threshold, weight=weight, null_threshold=nulls)
