"""The gateway's metrics in Prometheus form: parse, subtract, and cut into canary windows.

Pure. A *series map* is `{(sample name, sorted label pairs): value}`: it comes from the
text format of `/metrics` (`parse_text`) or from a Prometheus server's query results.
`delta(before, after)` is what happened in between (a counter that went down was reset:
the new value is the increase). `step_window` reads the champion and the candidate out
of a delta. Metric names are the gateway's (slipway.serving).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from slipway.core.canary import ShadowWindow, StepWindow, VariantWindow

REQUESTS = "slipway_requests_total"
LATENCY = "slipway_request_latency_seconds"
PREDICTIONS = "slipway_predictions_total"
REJECTIONS = "slipway_validation_rejections_total"
SHADOW = "slipway_shadow_comparisons_total"
LATENCY_BUCKET = f"{LATENCY}_bucket"
CONFIDENCE = "slipway_prediction_confidence"
CONFIDENCE_SUM = f"{CONFIDENCE}_sum"
CONFIDENCE_COUNT = f"{CONFIDENCE}_count"
COUNTERS = (
    REQUESTS,
    LATENCY_BUCKET,
    PREDICTIONS,
    REJECTIONS,
    SHADOW,
    CONFIDENCE_SUM,
    CONFIDENCE_COUNT,
)
LOADED = "slipway_model_loaded"
"""Gauge: 1 while a version serves as a variant (champion, canary, shadow)."""
LOAD_FAILED = "slipway_model_load_failed"
"""Gauge: 1 while a wanted version fails to load (the gateway retries with backoff)."""
GAUGES = (LOADED, LOAD_FAILED)

SeriesKey = tuple[str, tuple[tuple[str, str], ...]]
Series = dict[SeriesKey, float]


def key(name: str, labels: Mapping[str, str]) -> SeriesKey:
    return name, tuple(sorted((str(k), str(v)) for k, v in labels.items()))


def norm_le(text: str) -> str:
    """One spelling per bucket bound ("1" and "1.0" are the same bucket; "+Inf")."""
    value = float(text)
    return "+Inf" if math.isinf(value) else repr(value)


def parse_text(text: str, names: Iterable[str] = COUNTERS) -> Series:
    """The samples named `names` from Prometheus text format; ValueError if it does not parse."""
    from prometheus_client.parser import text_string_to_metric_families

    wanted = set(names)
    series: Series = {}
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name in wanted:
                    k = key(sample.name, sample.labels)
                    series[k] = series.get(k, 0.0) + float(sample.value)
    except ValueError as exc:
        raise ValueError(f"not Prometheus text format: {exc}") from None
    return series


def add(a: Series, b: Series) -> Series:
    """Sum two series maps (e.g. the scrapes of several gateway replicas)."""
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0.0) + v
    return out


def delta(before: Series, after: Series) -> Series:
    """Increase of each counter from `before` to `after`; a reset counts from zero."""
    out: Series = {}
    for k, end in after.items():
        start = before.get(k, 0.0)
        out[k] = end - start if end >= start else end
    return out


def _matching(series: Series, name: str, **want: str) -> Iterable[tuple[dict[str, str], float]]:
    for (sname, labels), value in series.items():
        if sname != name:
            continue
        label_map = dict(labels)
        if all(label_map.get(k) == v for k, v in want.items()):
            yield label_map, value


def variant_window(series: Series, model: str, version: str, variant: str) -> VariantWindow:
    """One variant's deltas: requests and 5xx by code, rejections, latency buckets, classes."""
    sel = {"model": model, "version": str(version), "variant": variant}
    requests = errors = rejections = 0.0
    for labels, value in _matching(series, REQUESTS, **sel):
        requests += value
        if labels.get("code", "").startswith("5"):
            errors += value
    for _, value in _matching(series, REJECTIONS, **sel):
        rejections += value
    buckets: dict[str, float] = {}
    for labels, value in _matching(series, LATENCY_BUCKET, **sel):
        le = norm_le(labels["le"])
        buckets[le] = buckets.get(le, 0.0) + value
    classes: dict[str, float] = {}
    for labels, value in _matching(series, PREDICTIONS, **sel):
        cls = labels.get("class", "")
        classes[cls] = classes.get(cls, 0.0) + value
    confidence_sum = sum(v for _, v in _matching(series, CONFIDENCE_SUM, **sel))
    confidence_count = sum(v for _, v in _matching(series, CONFIDENCE_COUNT, **sel))
    return VariantWindow(
        requests=requests,
        errors=errors,
        rejections=rejections,
        latency_buckets=buckets,
        classes={k: v for k, v in classes.items() if v > 0},
        confidence_sum=confidence_sum,
        confidence_count=confidence_count,
    )


def shadow_window(
    series: Series, model: str, champion_version: str, shadow_version: str
) -> ShadowWindow:
    comparisons = agreements = 0.0
    for labels, value in _matching(
        series,
        SHADOW,
        model=model,
        champion_version=str(champion_version),
        shadow_version=str(shadow_version),
    ):
        comparisons += value
        if labels.get("agree", "").lower() in ("true", "1", "yes"):
            agreements += value
    return ShadowWindow(comparisons=comparisons, agreements=agreements)


def step_window(
    series: Series,
    model: str,
    champion_version: str,
    candidate_version: str,
    phase: str,
    seconds: float = 0.0,
) -> StepWindow:
    """The window of one step from a delta: champion vs canary, or champion vs shadow."""
    variant = "shadow" if phase == "shadow" else "canary"
    return StepWindow(
        champion=variant_window(series, model, champion_version, "champion"),
        candidate=variant_window(series, model, candidate_version, variant),
        shadow=shadow_window(series, model, champion_version, candidate_version)
        if phase == "shadow"
        else None,
        seconds=seconds,
    )


def loaded_variants(series: Series, model: str) -> dict[str, set[str]]:
    """Version -> the variants it serves as now (`slipway_model_loaded` at 1), for one model."""
    out: dict[str, set[str]] = {}
    for labels, value in _matching(series, LOADED, model=model):
        if value >= 1:
            out.setdefault(labels.get("version", ""), set()).add(labels.get("variant", ""))
    return out


def failed_loads(series: Series, model: str) -> set[str]:
    """Versions of `model` the gateway wants but fails to load."""
    return {
        labels.get("version", "")
        for labels, value in _matching(series, LOAD_FAILED, model=model)
        if value >= 1
    }
