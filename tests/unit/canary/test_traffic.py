"""Traffic generator against a small real HTTP server on loopback that answers like a gateway."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from slipway.canary.traffic import BackgroundTraffic, check_bounds, send_traffic
from slipway.canary.traffic_data import load_rows
from slipway.errors import BadInput
from tests.conftest import free_port


class Gatewayish(BaseHTTPRequestHandler):
    """Champion answers rows whose first value is even; the 'canary' fails the odd ones."""

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.bodies.append((self.path, body))
        first = body["instances"][0][0]
        canary = int(first) % 2 == 1
        status = 500 if canary else 200
        payload = json.dumps({"predictions": [0]}).encode()
        self.send_response(status)
        self.send_header("X-Slipway-Variant", "canary" if canary else "champion")
        self.send_header("X-Slipway-Model-Version", "2" if canary else "1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        return


@pytest.fixture
def gatewayish():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gatewayish)
    server.bodies = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


ROWS = [[float(i), 1.0] for i in range(4)]


def test_sends_rate_times_duration_and_tallies_variants(gatewayish):
    server, url = gatewayish
    report = send_traffic(url, "digits", ROWS, rate=40, duration_s=0.5)
    assert report.sent == 20 and len(server.bodies) == 20
    assert report.by_variant == {
        "champion": {"ok": 10, "failed": 0},
        "canary": {"ok": 0, "failed": 10},
    }
    assert report.by_version == {"1": 10, "2": 10} and report.statuses == {"200": 10, "500": 10}
    assert report.failed_for("champion") == 0 and report.failed_for("canary") == 10
    assert server.bodies[0][0] == "/v1/models/digits:predict"
    assert {tuple(b["instances"][0]) for _, b in server.bodies} == {tuple(r) for r in ROWS}
    assert report.errors[0].startswith("HTTP 500 from canary 2")
    assert "20 requests" in report.line()


def test_background_traffic_stops_when_the_block_ends(gatewayish):
    server, url = gatewayish
    stopped = threading.Event()
    with BackgroundTraffic(url, "digits", ROWS, rate=50) as traffic:
        stopped.wait(0.3)
    assert traffic.report is not None and 0 < traffic.report.sent < 100


def test_a_gateway_that_is_down_counts_as_failed_without_a_variant():
    report = send_traffic(
        f"http://127.0.0.1:{free_port()}", "digits", ROWS, rate=20, duration_s=0.2, timeout_s=1
    )
    assert report.sent == 4 and report.failed == 4 and report.failed_for("none") == 4
    assert "ConnectError" in report.errors[0]


@pytest.mark.parametrize(
    ("rate", "duration", "message"),
    [(0, 1, "--rate"), (501, 1, "--rate"), (1, 0, "--duration"), (1, 3601, "--duration")],
)
def test_bounds(rate, duration, message):
    with pytest.raises(BadInput, match=message):
        check_bounds(rate, duration)


def test_no_rows_is_a_clear_error():
    with pytest.raises(BadInput, match="traffic data is empty"):
        send_traffic("http://127.0.0.1:1", "digits", [], rate=1, duration_s=1)


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "rows.csv"
    pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "digit": [0, 1]}).to_csv(path, index=False)
    return str(path)


def test_load_rows_selects_features_in_order(table):
    assert load_rows(table, ["b", "a"]) == [[3.0, 1.0], [4.0, 2.0]]
    assert load_rows(table, None, "digit") == [[1.0, 3.0], [2.0, 4.0]]


def test_load_rows_names_missing_features(table):
    with pytest.raises(BadInput, match=r"lacks the model's features \['c'\]"):
        load_rows(table, ["a", "c"])


def test_load_rows_refuses_text_columns(tmp_path):
    path = tmp_path / "text.csv"
    pd.DataFrame({"a": ["x", "y"]}).to_csv(path, index=False)
    with pytest.raises(BadInput, match="not all numeric"):
        load_rows(str(path))
