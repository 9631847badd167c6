"""A version that failed to load is retried (and serves once loadable); several worker
processes share one port and one set of metrics."""

from __future__ import annotations

import shutil
import threading

import httpx
import pytest

from slipway.serving.testing import gateway_process
from tests.e2e.serving.conftest import MODEL
from tests.e2e.serving.registered import register_bundle
from tests.e2e.serving.test_gateway_http import metric
from tests.e2e.serving.test_gateway_lifecycle import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def in_home(gw_home, monkeypatch):
    monkeypatch.setenv("SLIPWAY_HOME", str(gw_home))
    return gw_home


def test_a_version_that_failed_to_load_serves_once_it_is_loadable(in_home, candidate_dir):
    from slipway.layout import read_manifest
    from slipway.registry import open_registry
    from slipway.settings import get_settings

    args = ["--no-auth", "--max-retry-s", "0.5"]
    with gateway_process([MODEL], extra_args=args, poll_interval_s=0.2) as url:
        # given a new champion whose bundle is broken on this replica (a bad download)
        v2 = register_bundle(candidate_dir, MODEL, in_home, corrupt=True)
        wait_for(
            lambda: metric(url, "slipway_model_load_failed", model=MODEL, version=v2) == 1,
            what="the failure to show",
        )
        ready = httpx.get(f"{url}/v2/health/ready").json()
        assert [(f["version"], f["attempts"] >= 1) for f in ready["load_failures"]] == [(v2, True)]

        def post():
            return httpx.post(f"{url}/v1/models/{MODEL}:predict", json={"instances": [[0.0] * 64]})

        assert post().json()["model_version"] == "1"  # the old champion keeps serving
        # when the bundle becomes loadable (the replica's copy repaired)
        cached = get_settings().home_dir / "cache" / "models" / MODEL / v2
        path = read_manifest(candidate_dir).get("onnx-fp32").path
        shutil.copyfile(candidate_dir / path, cached / path)
        # then a later retry loads it: it serves, and the failure is gone from readiness and metrics
        wait_for(lambda: post().json()["model_version"] == v2, what="the repaired version to serve")
        assert httpx.get(f"{url}/v2/health/ready").json()["load_failures"] == []
        assert metric(url, "slipway_model_load_failed", model=MODEL, version=v2) == 0
        assert metric(url, "slipway_model_load_failures_total", model=MODEL) >= 1
        open_registry().client.set_registered_model_alias(MODEL, "champion", "1")


def test_workers_share_the_port_and_sum_their_metrics(in_home):
    with gateway_process([MODEL], extra_args=["--no-auth", "--workers", "2"]) as url:
        codes, lock = [], threading.Lock()

        def client():
            for _ in range(
                15
            ):  # a fresh connection each time: the kernel spreads them over workers
                r = httpx.post(f"{url}/v1/models/{MODEL}:predict", json={"instances": [[0.0] * 64]})
                with lock:
                    codes.append(r.status_code)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes == [200] * 60
        # any worker's /metrics counts every worker's requests
        assert [
            metric(url, "slipway_requests_total", model=MODEL, code="200") for _ in range(4)
        ] == [60] * 4
        assert metric(url, "slipway_model_loaded", model=MODEL, variant="champion") >= 1
