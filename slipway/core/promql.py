"""PromQL for a canary window, and Prometheus API results back into a series map.

Pure. One instant query per counter, evaluated at the window's end over the window's
length: `sum by (...) (increase(counter{model="m"}[Ns]))`. The latency histogram comes
back as per-bucket increases, so the p99 is computed by the same code (and the same
interpolation as `histogram_quantile`) whichever source was used.
"""

from __future__ import annotations

import math
from typing import Any

from slipway.core.promtext import (
    CONFIDENCE_COUNT,
    CONFIDENCE_SUM,
    LATENCY_BUCKET,
    LOAD_FAILED,
    LOADED,
    PREDICTIONS,
    REJECTIONS,
    REQUESTS,
    SHADOW,
    Series,
    key,
)

GROUPING = {
    REQUESTS: ("model", "version", "variant", "code"),
    LATENCY_BUCKET: ("model", "version", "variant", "le"),
    PREDICTIONS: ("model", "version", "variant", "class"),
    REJECTIONS: ("model", "version", "variant"),
    SHADOW: ("model", "champion_version", "shadow_version", "agree"),
    CONFIDENCE_SUM: ("model", "version", "variant"),
    CONFIDENCE_COUNT: ("model", "version", "variant"),
}


def quote(value: str) -> str:
    """A PromQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def range_seconds(seconds: float) -> int:
    """The range selector's length: whole seconds, at least 1, rounded up."""
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"window of {seconds} s: must be a positive number of seconds")
    return max(1, math.ceil(seconds))


def window_queries(model: str, seconds: float) -> dict[str, str]:
    """Counter name -> the query for its increase over the last `seconds`, by the labels we need."""
    span = range_seconds(seconds)
    return {
        name: f"sum by ({', '.join(labels)}) (increase({name}{{model={quote(model)}}}[{span}s]))"
        for name, labels in GROUPING.items()
    }


def state_queries(model: str) -> dict[str, str]:
    """Gauge name -> the query for its value now: which versions of `model` the scraped gateways
    serve (lowest value over the replicas: 1 only when every replica serves it) or fail to
    load (highest)."""
    return {
        LOADED: f"min by (model, version, variant) ({LOADED}{{model={quote(model)}}})",
        LOAD_FAILED: f"max by (model, version) ({LOAD_FAILED}{{model={quote(model)}}})",
    }


def series_from_response(name: str, body: Any) -> Series:
    """The `data.result` vector of a Prometheus `/api/v1/query` answer as a series map."""
    if not isinstance(body, dict):
        raise ValueError("Prometheus answered something that is not a JSON object")
    if body.get("status") != "success":
        raise ValueError(
            f"Prometheus query failed: {body.get('errorType', 'error')}: "
            f"{body.get('error', 'no detail')}"
        )
    data = body.get("data") or {}
    if data.get("resultType") != "vector":
        raise ValueError(
            f"Prometheus answered a {data.get('resultType')!r}, expected an instant vector"
        )
    series: Series = {}
    for item in data.get("result") or []:
        try:
            labels = {k: v for k, v in item["metric"].items() if k != "__name__"}
            value = float(item["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            raise ValueError(f"Prometheus answered a malformed sample: {item!r}"[:300]) from None
        if math.isnan(value):
            continue  # increase() over a series with one point
        k = key(name, labels)
        series[k] = series.get(k, 0.0) + value
    return series
