"""The gateway's request-path helpers: buffered access log, cached metric children, profile
cadence."""

import io
import json

import numpy as np

from slipway.serving.logs import AccessLog
from slipway.serving.metrics import GatewayMetrics
from slipway.serving.profiler import ProfileCollector


def test_access_log_buffers_lines_until_flush():
    stream = io.StringIO()
    log = AccessLog(stream, max_lines=100)
    log.write({"msg": "request", "request_id": "r1", "code": 200})
    log.write({"msg": "request", "request_id": "r2", "code": 429})
    assert stream.getvalue() == ""  # nothing written on the request path
    log.flush()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(d["request_id"], d["code"], d["logger"], d["level"]) for d in lines] == [
        ("r1", 200, "slipway.access", "info"),
        ("r2", 429, "slipway.access", "info"),
    ]
    assert lines[0]["ts"].endswith("Z") and "T" in lines[0]["ts"]


def test_access_log_flushes_when_the_buffer_is_full():
    stream = io.StringIO()
    log = AccessLog(stream, max_lines=3)
    for i in range(7):
        log.write({"request_id": str(i)})
    assert len(stream.getvalue().splitlines()) == 6  # two full buffers written, one line pending
    log.flush()
    assert [json.loads(line)["request_id"] for line in stream.getvalue().splitlines()] == [
        str(i) for i in range(7)
    ]


def _value(metrics, name, **labels):
    return metrics.registry.get_sample_value(name, labels)


def test_request_metrics_count_each_outcome_with_cached_children():
    m = GatewayMetrics()
    for _ in range(3):
        m.request("digits", "2", "champion", 200, 0.001)
    m.request("digits", "2", "champion", 422, 0.001)
    m.request("digits", "3", "canary", 200, 0.2)
    labels = {"model": "digits", "version": "2", "variant": "champion"}
    assert _value(m, "slipway_requests_total", **labels, code="200") == 3
    assert _value(m, "slipway_requests_total", **labels, code="422") == 1
    assert (
        _value(m, "slipway_request_latency_seconds_count", **labels) == 3
    )  # only successes are timed
    assert (
        _value(
            m,
            "slipway_request_latency_seconds_count",
            model="digits",
            version="3",
            variant="canary",
        )
        == 1
    )


class _Store:
    def __init__(self):
        self.written = {}

    def put_bytes(self, key, data):
        self.written[key] = data


def test_profiles_fold_in_batches_and_flush_everything_at_close():
    # given a collector that folds only every 60 s or every 50 rows
    store = _Store()
    collector = ProfileCollector(
        store, "r1", window_s=3600, sample_rate=1.0, fold_every_s=60, fold_rows=50
    )
    x = np.ones((1, 2), dtype=np.float32)
    for _ in range(10):
        collector.offer("m", "1", "champion", ["a", "b"], x, np.array([1]))
    collector._drain()
    assert (
        collector._pending_rows() == 10 and not collector._views
    )  # below both thresholds: not folded yet
    # when it closes, every offered row is in the flushed profile
    keys = collector.close()
    from slipway.drift import profiles

    assert len(keys) == 1 and keys[0].startswith("profiles/m/1/champion/")
    assert profiles.row_count(profiles.deserialize(store.written[keys[0]])) == 10


def test_a_window_the_store_refuses_is_kept_and_written_once_the_store_is_back(tmp_path):
    from slipway.drift import profiles
    from slipway.store import LocalStore

    # given a real local store whose root is, for now, a file: every write fails (OSError)
    root = tmp_path / "store"
    root.write_text("not a directory yet")
    collector = ProfileCollector(LocalStore(root), "r1", window_s=3600, sample_rate=1.0)
    x = np.ones((1, 2), dtype=np.float32)
    for _ in range(7):
        collector.offer("m", "1", "champion", ["a", "b"], x, np.array([1]))
    # when the window is flushed while the store is down
    assert collector.flush() == []
    # then the window waits, nothing is lost, and a retry is scheduled
    assert len(collector.unsent) == 1 and collector.write_failures == 1 and collector.lost == 0
    # when the store is back, the retry writes the whole window
    root.unlink()
    root.mkdir()
    written = collector._send()
    assert len(written) == 1 and not collector.unsent
    stored = profiles.deserialize(LocalStore(root).get_bytes(written[0]))
    assert profiles.row_count(stored) == 7


def test_windows_still_unwritten_at_shutdown_are_counted_lost(tmp_path):
    from slipway.store import LocalStore

    root = tmp_path / "store"
    root.write_text("never a directory")
    collector = ProfileCollector(
        LocalStore(root), "r1", window_s=3600, sample_rate=1.0, close_retry_s=0.3
    )
    collector.offer("m", "1", "champion", ["a"], np.ones((1, 1), np.float32), np.array([0]))
    assert collector.close() == []
    assert collector.lost == 1 and collector.write_failures >= 1
