"""Prometheus metrics of the gateway (names and labels are a contract with canary/infra).

With `--workers N` each worker process writes its samples to files under
`PROMETHEUS_MULTIPROC_DIR` (prometheus_client's multiprocess mode, set by the supervisor
before any worker starts) and `/metrics`, whichever worker answers it, sums them all.
Labelled children are cached: `.labels(...)` costs a lock and a dict walk per call.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
MVV = ("model", "version", "variant")
_MAX_CHILDREN = 10_000  # versions come and go: caches never grow without bound


class GatewayMetrics:
    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = CollectorRegistry()
        r = self.registry
        gauge = {"multiprocess_mode": "livemax"} if self.multiprocess else {}
        self.requests = Counter(
            "slipway_requests", "Requests by outcome", (*MVV, "code"), registry=r
        )
        self.latency = Histogram(
            "slipway_request_latency_seconds",
            "Request latency",
            MVV,
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "slipway_batch_size", "Rows per runtime call", MVV, buckets=BATCH_BUCKETS, registry=r
        )
        self.predictions = Counter(
            "slipway_predictions", "Predicted classes", (*MVV, "class"), registry=r
        )
        self.confidence = Histogram(
            "slipway_prediction_confidence",
            "Top-1 probability of each classifier prediction",
            MVV,
            buckets=CONFIDENCE_BUCKETS,
            registry=r,
        )
        self.rejections = Counter(
            "slipway_validation_rejections",
            "Requests refused by the serving contract",
            MVV,
            registry=r,
        )
        self.shadow = Counter(
            "slipway_shadow_comparisons",
            "Shadow rows compared with the champion",
            ("model", "champion_version", "shadow_version", "agree"),
            registry=r,
        )
        self.loaded = Gauge(
            "slipway_model_loaded",
            "1 while a version serves as the variant",
            MVV,
            registry=r,
            **gauge,
        )
        self.load_failures = Counter(
            "slipway_model_load_failures", "Model loads that failed", ("model",), registry=r
        )
        self.load_failed = Gauge(
            "slipway_model_load_failed",
            "1 while a wanted version fails to load (retried with backoff)",
            ("model", "version"),
            registry=r,
            **gauge,
        )
        self.swaps = Counter("slipway_model_swaps", "Atomic model swaps", ("model",), registry=r)
        self.connections_closed = Counter(
            "slipway_connections_closed",
            "Connections the server closed: reason header_timeout, body_timeout or over_limit",
            ("reason",),
            registry=r,
        )
        self._children: dict[tuple, tuple] = {}
        self._predicted: dict[tuple, object] = {}

    def request(self, model: str, version: str, variant: str, code: int, seconds: float) -> None:
        """Count one answered request (and its latency when it succeeded)."""
        key = (model, version, variant, code)
        children = self._children.get(key)
        if children is None:
            if len(self._children) > _MAX_CHILDREN:
                self._children.clear()
            children = self._children[key] = (
                self.requests.labels(model, version, variant, str(code)),
                self.latency.labels(model, version, variant) if code == 200 else None,
            )
        children[0].inc()
        if children[1] is not None:
            children[1].observe(seconds)

    def confident(self, model: str, version: str, variant: str, top1) -> None:
        """Observe each row's top-1 probability (`top1`: a float array [N])."""
        child = self.confidence.labels(model, version, variant)
        for value in top1.tolist():
            child.observe(value)

    def predicted(self, model: str, version: str, variant: str, label: str, count: int = 1) -> None:
        key = (model, version, variant, label)
        child = self._predicted.get(key)
        if child is None:
            if len(self._predicted) > _MAX_CHILDREN:
                self._predicted.clear()
            child = self._predicted[key] = self.predictions.labels(*key)
        child.inc(count)

    def render(self) -> bytes:
        if not self.multiprocess:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        return generate_latest(merged)
