"""Registry-driven behaviour over real HTTP: hot swap under load, a corrupt version, canary,
shadow, rate limit, SIGTERM drain and the production profiles it flushes."""

from __future__ import annotations

import signal
import socket
import threading

import httpx
import pytest

from slipway.serving.testing import gateway_process
from tests.e2e.serving.conftest import MODEL
from tests.e2e.serving.registered import register_bundle
from tests.e2e.serving.test_gateway_http import metric
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def in_home(gw_home, monkeypatch):
    """This test's registry calls go to the gateway's SLIPWAY_HOME."""
    monkeypatch.setenv("SLIPWAY_HOME", str(gw_home))
    return gw_home


def accepts(port: int) -> bool:
    """True while something accepts TCP connections on 127.0.0.1:port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def values(candidate_dir):
    from slipway.core.contract import ServingContract

    contract = ServingContract.model_validate_json(
        (candidate_dir / "serving_contract.json").read_text()
    )
    return [max(0.0, f.min) for f in contract.features]


def wait_for(predicate, timeout=30.0, what="condition"):
    return wait_until(predicate, timeout, what)


def test_swap_under_load_canary_shadow_and_corrupt_version(in_home, candidate_dir, values):
    # given a gateway serving v1 and clients hammering it
    with gateway_process([MODEL], extra_args=["--no-auth"], poll_interval_s=0.3) as url:
        seen, codes, stop, lock = {}, {}, threading.Event(), threading.Lock()

        def client():
            with httpx.Client(base_url=url) as c:
                while not stop.is_set():
                    r = c.post(f"/v1/models/{MODEL}:predict", json={"instances": [values]})
                    with lock:
                        codes[r.status_code] = codes.get(r.status_code, 0) + 1
                        if r.status_code == 200:
                            version = r.json()["model_version"]
                            seen[version] = seen.get(version, 0) + 1

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            # when the champion alias moves to v2 (INT8 candidate) under load
            v2 = register_bundle(candidate_dir, MODEL, in_home, candidate="ort-int8-dynamic")
            wait_for(lambda: v2 in seen, what="v2 to serve")
            # and keeps answering under the same load after the swap
            served = seen[v2]
            wait_for(lambda: seen[v2] >= served + 40, what="40 more answers from v2")
        finally:
            stop.set()
            for t in threads:
                t.join()
        # then not one request failed and both versions answered
        assert set(codes) == {200}, codes
        assert {"1", v2} <= set(seen)
        assert metric(url, "slipway_model_swaps_total", model=MODEL) == 1
        assert metric(url, "slipway_model_loaded", model=MODEL, version=v2, variant="champion") == 1
        assert (
            metric(url, "slipway_model_loaded", model=MODEL, version="1", variant="champion") == 0
        )

        # canary: v1 as canary at weight 50, sticky by route key
        from slipway import registry
        from slipway.core.routing import Routing

        registry.open_registry().set_routing(
            MODEL, Routing(mode="canary", weight=50, canary_version="1")
        )

        def post(key):
            return httpx.post(
                f"{url}/v1/models/{MODEL}:predict",
                json={"instances": [values]},
                headers={"X-Slipway-Route-Key": key},
            )

        wait_for(
            lambda: any(post(f"user-{i}").json()["variant"] == "canary" for i in range(20)),
            what="canary",
        )
        variants = {post(f"user-{i}").json()["variant"] for i in range(40)}
        assert variants == {"champion", "canary"}
        for key in ("user-1", "user-2", "user-3"):
            answers = {
                (r.json()["variant"], r.headers["X-Slipway-Model-Version"])
                for r in (post(key) for _ in range(5))
            }
            assert len(answers) == 1, answers  # sticky: one key, one variant
        assert (
            metric(
                url,
                "slipway_requests_total",
                model=MODEL,
                version="1",
                variant="canary",
                code="200",
            )
            > 0
        )

        # shadow: v1 mirrors every request off the path; the client only sees the champion
        registry.open_registry().set_routing(
            MODEL, Routing(mode="shadow", weight=0, canary_version="1")
        )
        wait_for(
            lambda: (
                metric(url, "slipway_model_loaded", model=MODEL, version="1", variant="shadow") == 1
            ),
            what="shadow loaded",
        )
        answers = {post(f"s-{i}").json()["variant"] for i in range(20)}
        assert answers == {"champion"}
        wait_for(
            lambda: (
                metric(
                    url,
                    "slipway_shadow_comparisons_total",
                    model=MODEL,
                    champion_version=v2,
                    shadow_version="1",
                )
                >= 20
            ),
            what="shadow comparisons",
        )

        # a corrupt new champion keeps v2 serving and is reported
        registry.open_registry().set_routing(MODEL, Routing())
        v3 = register_bundle(candidate_dir, MODEL, in_home, corrupt=True)
        wait_for(
            lambda: metric(url, "slipway_model_load_failures_total", model=MODEL) == 1,
            what="load failure",
        )
        r = post("after-corrupt")
        assert r.status_code == 200 and r.json()["model_version"] == v2 != v3
        assert httpx.get(f"{url}/v2/health/ready").status_code == 200
        assert "model load failed" in url.log()
        registry.open_registry().client.set_registered_model_alias(
            MODEL, "champion", v2
        )  # later tests start on v2


def test_rate_limit_exactly_n_of_n_plus_k(in_home, values):
    with gateway_process(
        [MODEL], extra_args=["--no-auth", "--rate-limit", "0.001", "--rate-burst", "5"]
    ) as url:
        codes = [
            httpx.post(f"{url}/v1/models/{MODEL}:predict", json={"instances": [values]})
            for _ in range(8)
        ]
        assert [r.status_code for r in codes] == [200] * 5 + [429] * 3
        assert all(int(r.headers["Retry-After"]) >= 1 for r in codes[5:])
        assert metric(url, "slipway_requests_total", model=MODEL, code="429") == 3
        assert "AUTHENTICATION IS DISABLED" in url.log()


def test_sigterm_drains_in_flight_and_flushes_profiles(in_home, values):
    import json

    from slipway.store import open_store

    args = ["--no-auth", "--drain-delay-s", "1.0", "--profile-sample", "1", "--replica-id", "r1"]
    with gateway_process([MODEL], extra_args=args) as url:
        for _ in range(5):
            assert (
                httpx.post(
                    f"{url}/v1/models/{MODEL}:predict", json={"instances": [values]}
                ).status_code
                == 200
            )
        # given a request in flight: headers and half of its body sent
        body = json.dumps({"instances": [values]}).encode()
        port = int(url.rsplit(":", 1)[1])
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(
            f"POST /v1/models/{MODEL}:predict HTTP/1.1\r\nHost: x\r\nContent-Type: "
            "application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        # the server accepts connections in order: once a later one is answered, this one is in
        wait_for(
            lambda: httpx.get(f"{url}/v2/health/live").status_code == 200,
            timeout=10,
            what="a later connection to be answered",
        )
        # when SIGTERM arrives: readiness turns false while the listener still answers
        url.process.send_signal(signal.SIGTERM)
        wait_for(
            lambda: httpx.get(f"{url}/v2/health/ready").status_code == 503,
            timeout=5,
            what="not ready",
        )
        # past the drain delay: the listener is closed, the old connection is not
        wait_for(lambda: not accepts(port), timeout=10, what="the listener to close")
        sock.sendall(body[10:])
        response = sock.recv(65536).decode()
        sock.close()
        # then the in-flight request completes and the process exits 0
        assert response.startswith("HTTP/1.1 200"), response[:200]
        assert url.process.wait(timeout=20) == 0
    keys = [k for k in open_store().list(f"profiles/{MODEL}/") if k.endswith("-r1.bin")]
    assert len(keys) == 1 and keys[0].startswith(f"profiles/{MODEL}/2/champion/"), keys
    from slipway.drift import profiles

    view = profiles.deserialize(open_store().get_bytes(keys[0]))
    assert profiles.row_count(view) >= 6
    assert "prediction" in view.get_columns()
