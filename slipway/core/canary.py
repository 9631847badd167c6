"""Canary analysis: compare the candidate with the champion over one step's window.

Pure. The inputs are counter and histogram *deltas* over the window (from the gateway's
`/metrics` or a Prometheus server), per variant. Each metric gives a check that passes,
fails or is inconclusive; a step passes only when every check passed. Too few requests
(or no data at all) is inconclusive, never a pass.

Metrics, candidate vs champion over the same window:
- `error_rate`: 5xx responses / requests, the candidate may exceed the champion by at most
  `max_error_rate_increase`;
- `latency_p99_ratio`: p99 from the latency histogram (Prometheus' `histogram_quantile`
  interpolation); fails when the ratio exceeds `max_p99_latency_ratio` AND the candidate is
  slower by more than `latency_tolerance_ms` (sub-millisecond noise is not a regression);
- `validation_rejection_rate`: contract rejections / requests, at most
  `max_rejection_rate_increase` above the champion;
- `prediction_divergence`: Jensen-Shannon divergence (base 2, 0..1) between the predicted
  class distributions; fails when it exceeds `max_prediction_divergence` AND a G-test of
  homogeneity says the difference is not sampling noise (p < `divergence_alpha`): with a few
  dozen requests over ten classes, identical models already show a JS of ~0.1 by chance;
- `prediction_confidence`: mean top-1 probability of a classifier's answers (the
  `slipway_prediction_confidence` histogram's sum / count); fails when the candidate's mean
  is below the champion's by more than `max_confidence_drop`. A model without probabilities
  (a regressor) passes it with nothing to compare; one side without them is inconclusive;
- `shadow_agreement` (shadow phase only): share of mirrored requests on which shadow and
  champion predicted the same class, at least `min_shadow_agreement`. In the shadow phase
  only the shadow's answers are judged (agreement and divergence): it answers no client, so
  there is no status, latency or rejection of its own to compare.
- `baseline` (blue-green's warm window only): the new version is loaded at 0 % and answers
  nobody; the window passes when the champion answered enough requests to stand as the
  baseline the bake window at 100 % is judged against.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from slipway.core.canary_stats import g_test_p_value, histogram_quantile, js_divergence

CheckStatus = Literal["pass", "fail", "inconclusive"]
METRICS = (
    "error_rate",
    "latency_p99_ratio",
    "validation_rejection_rate",
    "prediction_divergence",
    "prediction_confidence",
    "shadow_agreement",
)


class CanaryPolicy(BaseModel):
    """Thresholds per metric and the limits of the analysis (see README: canary semantics)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_requests: int = Field(20, ge=1, description="per variant per window; fewer is inconclusive")
    max_error_rate_increase: float = Field(0.01, ge=0, le=1)
    max_p99_latency_ratio: float = Field(1.5, ge=1)
    latency_tolerance_ms: float = Field(5.0, ge=0)
    max_rejection_rate_increase: float = Field(0.02, ge=0, le=1)
    max_prediction_divergence: float = Field(0.1, ge=0, le=1)
    divergence_alpha: float = Field(
        0.01, gt=0, le=1, description="significance the divergence must reach"
    )
    max_confidence_drop: float = Field(
        0.1, ge=0, le=1, description="candidate mean top-1 probability below the champion's"
    )
    min_shadow_agreement: float = Field(0.95, ge=0, le=1)
    failure_limit: int = Field(
        0, ge=0, description="failed checks tolerated, counted over the whole canary"
    )
    inconclusive_limit: int = Field(
        1, ge=0, description="inconclusive windows tolerated over the whole canary"
    )
    source_error_limit: int = Field(
        3, ge=1, description="consecutive metric-source errors that abort"
    )
    disabled: tuple[str, ...] = Field((), description="metrics not checked (names from METRICS)")

    @field_validator("disabled")
    @classmethod
    def _known_metrics(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [n for n in names if n not in METRICS]
        if unknown:
            raise ValueError(f"unknown metrics {unknown}: choose from {', '.join(METRICS)}")
        return names


class VariantWindow(BaseModel):
    """What one variant (champion, canary or shadow) did during a window: counter deltas."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests: float = 0.0
    errors: float = 0.0
    """Responses with a 5xx status."""
    rejections: float = 0.0
    """Requests refused by the serving contract."""
    latency_buckets: dict[str, float] = Field(default_factory=dict)
    """Cumulative histogram bucket counts keyed by the `le` label ("0.005", ..., "+Inf")."""
    classes: dict[str, float] = Field(default_factory=dict)
    """Predicted class -> count."""
    confidence_sum: float = 0.0
    confidence_count: float = 0.0
    """Sum and count of the top-1 probabilities of the variant's predictions."""

    def __add__(self, other: VariantWindow) -> VariantWindow:
        return VariantWindow(
            requests=self.requests + other.requests,
            errors=self.errors + other.errors,
            rejections=self.rejections + other.rejections,
            latency_buckets=_add_maps(self.latency_buckets, other.latency_buckets),
            classes=_add_maps(self.classes, other.classes),
            confidence_sum=self.confidence_sum + other.confidence_sum,
            confidence_count=self.confidence_count + other.confidence_count,
        )

    @property
    def mean_confidence(self) -> float | None:
        return self.confidence_sum / self.confidence_count if self.confidence_count > 0 else None

    @property
    def predictions(self) -> float:
        return sum(self.classes.values())


class ShadowWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    comparisons: float = 0.0
    agreements: float = 0.0


class StepWindow(BaseModel):
    """Deltas over one analysis window. `candidate` is the canary (or the shadow) variant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    champion: VariantWindow = VariantWindow()
    candidate: VariantWindow = VariantWindow()
    shadow: ShadowWindow | None = None
    seconds: float = 0.0


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    status: CheckStatus
    candidate: float | None = None
    champion: float | None = None
    value: float | None = None
    """The compared quantity: a difference, ratio, divergence or agreement."""
    threshold: float | None = None
    detail: str = ""


class StepAnalysis(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: CheckStatus
    checks: list[Check]
    candidate_requests: float
    champion_requests: float
    baseline_used: bool = False
    """True when the champion's numbers came from earlier windows (the champion had too few
    here)."""

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def inconclusive(self) -> list[Check]:
        return [c for c in self.checks if c.status == "inconclusive"]


def _add_maps(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0.0) + value
    return out


def _rate(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


def _few(metric: str, cand: float, champ: float, need: int) -> Check:
    return Check(
        metric=metric,
        status="inconclusive",
        detail=f"too few requests (candidate {cand:g}, champion {champ:g}, need {need} each)",
    )


def _rate_check(
    metric: str, cand: VariantWindow, champ: VariantWindow, field: str, limit: float
) -> Check:
    c = _rate(getattr(cand, field), cand.requests)
    b = _rate(getattr(champ, field), champ.requests)
    diff = c - b
    status = "fail" if diff > limit else "pass"
    return Check(
        metric=metric,
        status=status,
        candidate=c,
        champion=b,
        value=diff,
        threshold=limit,
        detail=f"candidate {c:.3f} vs champion {b:.3f} (+{limit:g} allowed)",
    )


def _latency_check(cand: VariantWindow, champ: VariantWindow, policy: CanaryPolicy) -> Check:
    c, b = (
        histogram_quantile(0.99, cand.latency_buckets),
        histogram_quantile(0.99, champ.latency_buckets),
    )
    if c is None or b is None:
        return Check(
            metric="latency_p99_ratio", status="inconclusive", detail="no latency histogram data"
        )
    ratio = c / b if b > 0 else (1.0 if c <= 0 else math.inf)
    slower_ms = (c - b) * 1000
    fail = ratio > policy.max_p99_latency_ratio and slower_ms > policy.latency_tolerance_ms
    return Check(
        metric="latency_p99_ratio",
        status="fail" if fail else "pass",
        candidate=c,
        champion=b,
        value=ratio,
        threshold=policy.max_p99_latency_ratio,
        detail=f"p99 {c * 1000:.1f} ms vs {b * 1000:.1f} ms (x{policy.max_p99_latency_ratio:g}"
        f" and +{policy.latency_tolerance_ms:g} ms allowed)",
    )


def _divergence_check(cand: VariantWindow, champ: VariantWindow, policy: CanaryPolicy) -> Check:
    if cand.predictions < policy.min_requests or champ.predictions < policy.min_requests:
        return _few(
            "prediction_divergence", cand.predictions, champ.predictions, policy.min_requests
        )
    js = js_divergence(cand.classes, champ.classes)
    p_value = g_test_p_value(cand.classes, champ.classes)
    assert js is not None and p_value is not None  # both have predictions here
    limit, alpha = policy.max_prediction_divergence, policy.divergence_alpha
    fail = js > limit and p_value < alpha
    return Check(
        metric="prediction_divergence",
        status="fail" if fail else "pass",
        value=js,
        threshold=limit,
        detail=f"Jensen-Shannon {js:.3f} over classes, G-test p={p_value:.2g} (fails above "
        f"{limit:g} "
        f"with p < {alpha:g})",
    )


def _confidence_check(cand: VariantWindow, champ: VariantWindow, policy: CanaryPolicy) -> Check:
    metric = "prediction_confidence"
    if cand.confidence_count == 0 and champ.confidence_count == 0:
        return Check(
            metric=metric,
            status="pass",
            detail="no confidence observed on either side (the model gives no probabilities)",
        )
    need = policy.min_requests
    if cand.confidence_count < need or champ.confidence_count < need:
        return Check(
            metric=metric,
            status="inconclusive",
            detail=f"too few confidence observations (candidate {cand.confidence_count:g}, "
            f"champion {champ.confidence_count:g}, need {need} each)",
        )
    c, b = cand.mean_confidence, champ.mean_confidence
    assert c is not None and b is not None
    drop, limit = b - c, policy.max_confidence_drop
    return Check(
        metric=metric,
        status="fail" if drop > limit else "pass",
        candidate=c,
        champion=b,
        value=drop,
        threshold=limit,
        detail=f"mean top-1 probability {c:.3f} vs champion {b:.3f} (a drop of up to "
        f"{limit:g} allowed)",
    )


def _shadow_check(shadow: ShadowWindow, policy: CanaryPolicy) -> Check:
    if shadow.comparisons < policy.min_requests:
        return Check(
            metric="shadow_agreement",
            status="inconclusive",
            detail=f"too few shadow comparisons ({shadow.comparisons:g}, need "
            f"{policy.min_requests})",
        )
    agreement = shadow.agreements / shadow.comparisons
    limit = policy.min_shadow_agreement
    return Check(
        metric="shadow_agreement",
        status="fail" if agreement < limit else "pass",
        value=agreement,
        threshold=limit,
        detail=f"agreement {agreement:.3f} (min {limit:g})",
    )


def analyze_step(
    window: StepWindow,
    policy: CanaryPolicy,
    baseline: VariantWindow | None = None,
    phase: str = "canary",
) -> StepAnalysis:
    """Judge one window. With too few champion requests (e.g. at 100 %), `baseline` (the
    champion's earlier windows, accumulated) stands in for the champion."""
    if phase == "warm":
        return _analyze_warm(window, policy)
    if window.shadow is not None:
        return _analyze_shadow(window, policy)
    cand, champ = window.candidate, window.champion
    baseline_used = False
    if (
        champ.requests < policy.min_requests
        and baseline is not None
        and baseline.requests >= policy.min_requests
    ):
        champ, baseline_used = baseline, True
    need = policy.min_requests
    enough = cand.requests >= need and champ.requests >= need
    checks: list[Check] = []
    for metric in METRICS:
        if metric in policy.disabled:
            continue
        if metric == "shadow_agreement":
            if window.shadow is not None:
                checks.append(_shadow_check(window.shadow, policy))
            continue
        if not enough:
            checks.append(_few(metric, cand.requests, champ.requests, need))
        elif metric == "error_rate":
            checks.append(
                _rate_check(metric, cand, champ, "errors", policy.max_error_rate_increase)
            )
        elif metric == "validation_rejection_rate":
            checks.append(
                _rate_check(metric, cand, champ, "rejections", policy.max_rejection_rate_increase)
            )
        elif metric == "latency_p99_ratio":
            checks.append(_latency_check(cand, champ, policy))
        elif metric == "prediction_confidence":
            checks.append(_confidence_check(cand, champ, policy))
        else:
            checks.append(_divergence_check(cand, champ, policy))
    return StepAnalysis(
        status=_overall(checks),
        checks=checks,
        candidate_requests=cand.requests,
        champion_requests=window.champion.requests,
        baseline_used=baseline_used,
    )


def _analyze_shadow(window: StepWindow, policy: CanaryPolicy) -> StepAnalysis:
    """Shadow phase: the shadow answers no client, so only its answers are judged (agreement
    with the champion on the same rows, and the class distribution); status and latency
    belong to the champion's responses."""
    checks = []
    if "prediction_divergence" not in policy.disabled:
        checks.append(_divergence_check(window.candidate, window.champion, policy))
    if "shadow_agreement" not in policy.disabled:
        checks.append(_shadow_check(window.shadow, policy))
    return StepAnalysis(
        status=_overall(checks),
        checks=checks,
        candidate_requests=window.shadow.comparisons,
        champion_requests=window.champion.requests,
    )


def _analyze_warm(window: StepWindow, policy: CanaryPolicy) -> StepAnalysis:
    """Blue-green's warm window: only the champion answered; it must have answered enough to be
    the baseline (fewer is inconclusive: the bake could not be judged)."""
    served = window.champion.requests
    enough = served >= policy.min_requests
    check = Check(
        metric="baseline",
        status="pass" if enough else "inconclusive",
        value=served,
        threshold=float(policy.min_requests),
        detail=f"{served:g} champion requests for the baseline (need {policy.min_requests})",
    )
    return StepAnalysis(
        status=check.status,
        checks=[check],
        candidate_requests=window.candidate.requests,
        champion_requests=served,
    )


def _overall(checks: list[Check]) -> CheckStatus:
    statuses = {c.status for c in checks}
    if "fail" in statuses:
        return "fail"
    return "inconclusive" if ("inconclusive" in statuses or not checks) else "pass"


def describe(analysis: StepAnalysis) -> str:
    """One line: the status and each check's number."""
    parts = []
    for c in analysis.checks:
        if c.value is None:
            parts.append(f"{c.metric}=n/a")
        else:
            parts.append(
                f"{c.metric}={c.value:.3g}{'' if c.status == 'pass' else ' ' + c.status.upper()}"
            )
    who = "baseline" if analysis.baseline_used else f"{analysis.champion_requests:g}"
    return (
        f"{analysis.status} (candidate {analysis.candidate_requests:g} req, champion {who} req): "
        + ", ".join(parts)
    )
