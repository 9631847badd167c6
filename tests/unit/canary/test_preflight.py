"""Pre-flight probe and blue-green's wait for the new version, against real exporters on loopback
(prometheus_client with the gateway's gauges) and a Prometheus-API server."""

from __future__ import annotations

import threading

import pytest

from slipway.canary.metrics import GatewayMetrics, MetricsUnavailable, PrometheusMetrics
from slipway.canary.preflight import probe_source, wait_loaded
from tests.conftest import free_port
from tests.unit.canary.test_metrics import http_server, vector  # noqa: F401  (fixture)


@pytest.fixture
def gauges():
    """Two exporters (two gateway replicas) with the gateway's state gauges."""
    from prometheus_client import CollectorRegistry, Gauge, start_http_server

    replicas = []
    for _ in range(2):
        registry = CollectorRegistry()
        loaded = Gauge(
            "slipway_model_loaded", "l", ["model", "version", "variant"], registry=registry
        )
        failed = Gauge("slipway_model_load_failed", "f", ["model", "version"], registry=registry)
        port = free_port()
        server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
        replicas.append((f"http://127.0.0.1:{port}", loaded, failed, server, thread))
    yield [(url, loaded, failed) for url, loaded, failed, *_ in replicas]
    for *_, server, thread in replicas:
        server.shutdown()
        thread.join(timeout=5)


def test_probe_passes_when_every_replica_serves_the_champion(gauges):
    for _, loaded, _ in gauges:
        loaded.labels("m", "1", "champion").set(1)
    source = GatewayMetrics([url for url, *_ in gauges])
    line = probe_source(source, "m", "1", wait_s=0)
    assert "answers; model m is served with champion version 1" in line


def test_probe_of_an_unreachable_gateway_fails_at_once():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(MetricsUnavailable, match=f"{url}/metrics is unreachable"):
        probe_source(GatewayMetrics(url, timeout_s=2), "m", "1", wait_s=30)


def test_probe_of_a_gateway_without_the_model_names_it(gauges):
    url, loaded, _ = gauges[0]
    loaded.labels("other", "1", "champion").set(1)
    with pytest.raises(
        MetricsUnavailable, match="no version of model 'm' serving: start a gateway"
    ):
        probe_source(GatewayMetrics(url), "m", "1", wait_s=0)


def test_probe_of_a_gateway_on_another_registry_says_so(gauges):
    url, loaded, _ = gauges[0]
    loaded.labels("m", "7", "champion").set(1)
    with pytest.raises(MetricsUnavailable, match="champion version 7, but the registry's .* is 1"):
        probe_source(GatewayMetrics(url), "m", "1", wait_s=0.3, interval_s=0.1)


def test_probe_waits_for_a_gateway_that_has_not_polled_yet(gauges):
    url, loaded, _ = gauges[0]
    loaded.labels("m", "1", "champion").set(1)
    timer = threading.Timer(0.3, lambda: loaded.labels("m", "2", "champion").set(1))
    timer.start()
    try:
        assert "champion version 2" in probe_source(GatewayMetrics(url), "m", "2", wait_s=10)
    finally:
        timer.cancel()


def test_wait_loaded_needs_every_replica(gauges):
    (url_a, loaded_a, _), (url_b, loaded_b, _) = gauges
    source = GatewayMetrics([url_a, url_b])
    loaded_a.labels("m", "2", "canary").set(1)
    assert "did not load version 2 within 0.3 s" in wait_loaded(source, "m", "2", 0.3, 0.1)
    loaded_b.labels("m", "2", "canary").set(1)
    assert wait_loaded(source, "m", "2", 5) is None


def test_wait_loaded_stops_at_a_failed_load(gauges):
    url, _, failed = gauges[0]
    failed.labels("m", "2").set(1)
    reason = wait_loaded(GatewayMetrics(url), "m", "2", 30)
    assert reason.startswith("the gateway failed to load version 2")


def test_wait_loaded_through_prometheus(http_server):  # noqa: F811
    def answer(path, query):
        if query.startswith("min by (model, version, variant) (slipway_model_loaded"):
            return 200, vector([({"model": "m", "version": "2", "variant": "shadow"}, 1.0)])
        return 200, vector([])

    server, url = http_server(answer)
    assert wait_loaded(PrometheusMetrics(url), "m", "2", 5) is None
    assert "slipway_model_load_failed" in server.seen[-1]["query"][0]
