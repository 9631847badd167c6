"""Metrics sources over real HTTP on loopback: a prometheus_client exporter and a small
Prometheus-API server that answers with recorded vectors."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from slipway.canary.metrics import (
    GatewayMetrics,
    MetricsUnavailable,
    PrometheusMetrics,
    metrics_source,
)
from slipway.errors import BadInput
from tests.conftest import free_port


@pytest.fixture
def exporter():
    """A real prometheus_client exporter with the gateway's metric names."""
    from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

    registry = CollectorRegistry()
    requests = Counter(
        "slipway_requests_total", "r", ["model", "version", "variant", "code"], registry=registry
    )
    latency = Histogram(
        "slipway_request_latency_seconds", "l", ["model", "version", "variant"], registry=registry
    )
    predictions = Counter(
        "slipway_predictions_total",
        "p",
        ["model", "version", "variant", "class"],
        registry=registry,
    )
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    yield f"http://127.0.0.1:{port}", requests, latency, predictions
    server.shutdown()
    thread.join(timeout=5)


def test_gateway_source_measures_only_the_window(exporter):
    url, requests, latency, predictions = exporter
    requests.labels("m", "1", "champion", "200").inc(500)  # before the window: not counted
    source = GatewayMetrics(url)
    mark = source.mark()
    requests.labels("m", "1", "champion", "200").inc(30)
    requests.labels("m", "2", "canary", "200").inc(8)
    requests.labels("m", "2", "canary", "500").inc(2)
    for _ in range(10):
        latency.labels("m", "2", "canary").observe(0.02)
    predictions.labels("m", "2", "canary", "4").inc(8)
    window = source.window(mark, "m", "1", "2", "canary")
    assert window.champion.requests == 30
    assert (window.candidate.requests, window.candidate.errors) == (10, 2)
    assert window.candidate.latency_buckets["+Inf"] == 10
    assert window.candidate.classes == {"4": 8}
    assert window.seconds > 0


def test_replicas_are_summed(exporter):
    url, requests, *_ = exporter
    source = GatewayMetrics([url, url])
    mark = source.mark()
    requests.labels("m", "1", "champion", "200").inc(3)
    assert source.window(mark, "m", "1", "2", "canary").champion.requests == 6


def test_gateway_down_is_metrics_unavailable():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(MetricsUnavailable, match=f"metrics source {url}/metrics is unreachable"):
        GatewayMetrics(url, timeout_s=2).mark()


class Canned(BaseHTTPRequestHandler):
    """Answers /api/v1/query from `self.server.answers` (query substring -> JSON) and records
    queries."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        parsed = urlparse(self.path)
        params = parse_qs(parsed.query)
        self.server.seen.append(params)
        status, body = self.server.answer(parsed.path, params.get("query", [""])[0])
        payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        return


@pytest.fixture
def http_server():
    def serve(answer):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Canned)
        server.seen, server.answer = [], answer
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server, f"http://127.0.0.1:{server.server_address[1]}"

    servers = []
    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def vector(samples):
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": labels, "value": [0, str(value)]} for labels, value in samples],
        },
    }


def prometheus_answer(path, query):
    if path != "/api/v1/query":
        return 404, "not found"
    if "slipway_requests_total" in query:
        return 200, vector(
            [
                ({"model": "m", "version": "1", "variant": "champion", "code": "200"}, 120.0),
                ({"model": "m", "version": "2", "variant": "shadow", "code": "200"}, 40.0),
            ]
        )
    if "slipway_shadow_comparisons_total" in query:
        return 200, vector(
            [
                (
                    {"model": "m", "champion_version": "1", "shadow_version": "2", "agree": "true"},
                    36.0,
                ),
                (
                    {
                        "model": "m",
                        "champion_version": "1",
                        "shadow_version": "2",
                        "agree": "false",
                    },
                    4.0,
                ),
            ]
        )
    return 200, vector([])


def test_prometheus_source_queries_increase_over_the_window(http_server):
    server, url = http_server(prometheus_answer)
    source = PrometheusMetrics(url)
    window = source.window(source.mark(), "m", "1", "2", "shadow")
    assert window.champion.requests == 120 and window.candidate.requests == 40
    assert (window.shadow.comparisons, window.shadow.agreements) == (40, 36)
    queries = [p["query"][0] for p in server.seen]
    assert len(queries) == 7 and all("increase(" in q and '{model="m"}[1s]' in q for q in queries)
    assert all("time" in p for p in server.seen)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda path, q: (503, "overloaded"), "answered HTTP 503: overloaded"),
        (lambda path, q: (200, "<html>"), "not JSON"),
        (
            lambda path, q: (
                200,
                {"status": "error", "errorType": "timeout", "error": "query timed out"},
            ),
            "timeout: query timed out",
        ),
    ],
)
def test_prometheus_errors_are_metrics_unavailable(http_server, answer, message):
    _, url = http_server(answer)
    source = PrometheusMetrics(url)
    with pytest.raises(MetricsUnavailable, match=message):
        source.window(source.mark(), "m", "1", "2", "canary")


def test_garbage_metrics_text_is_metrics_unavailable(http_server):
    _, url = http_server(lambda path, q: (200, "this is { not metrics"))
    with pytest.raises(MetricsUnavailable, match="not Prometheus text format"):
        GatewayMetrics(url).mark()


def test_source_choice():
    assert isinstance(metrics_source("http://g", "http://p"), PrometheusMetrics)
    assert isinstance(metrics_source("http://g", None), GatewayMetrics)
    with pytest.raises(BadInput, match="--gateway URL"):
        metrics_source(None, None)


def test_several_gateway_urls_separated_by_commas_are_each_scraped_and_summed(exporter):
    url, requests, *_ = exporter
    source = metrics_source(f"{url}, {url}/", None)  # `--gateway URL1,URL2` (the same one twice)
    assert source.urls == [f"{url}/metrics", f"{url}/metrics"]
    mark = source.mark()
    requests.labels("m", "1", "champion", "200").inc(2)
    assert source.window(mark, "m", "1", "2", "canary").champion.requests == 4
