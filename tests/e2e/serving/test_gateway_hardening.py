"""Faults found by probing a real gateway: hostile JSON, slow and idle connections, unknown
routes, forged request ids, routing writes of versions that do not exist, and the OIP
endpoints and datatype rules a Triton/KServe client relies on."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from slipway.serving.testing import gateway_process
from tests.e2e.serving.conftest import MODEL
from tests.e2e.serving.test_gateway_http import auth, metric

pytestmark = pytest.mark.slow
LIMITS = ["--header-timeout-s", "0.5", "--body-timeout-s", "0.5", "--max-connections", "6"]


@pytest.fixture(scope="module")
def gateway(gw_home, keys):
    path, _ = keys
    args = ["--keys-file", str(path), "--enable-admin", *LIMITS]
    with gateway_process([MODEL], env={"SLIPWAY_HOME": str(gw_home)}, extra_args=args) as url:
        yield url


@pytest.fixture
def app_key(keys):
    return auth(keys[1]["app"])


def _post(url, path, body: bytes, headers, ctype="application/json"):
    return httpx.post(f"{url}{path}", content=body, headers={**headers, "Content-Type": ctype})


# -- 9: hostile JSON is a counted 400, never a 500 -------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 2000,
        b'{"instances": [[1' + b"0" * 400 + b"]]}",
        b'{"instances": [[' + b"7" * 5000 + b"]]}",
        b'{"instances": [' + b"[" * 1500 + b"1" + b"]" * 1500 + b"]}",
    ],
    ids=["nested-2000", "int-past-float", "int-5000-digits", "nested-rows"],
)
def test_hostile_json_is_a_counted_400(gateway, app_key, body):
    before = metric(gateway, "slipway_requests_total", model=MODEL, code="400")
    r = _post(gateway, f"/v1/models/{MODEL}:predict", body, app_key)
    assert r.status_code == 400 and "JSON" in r.json()["error"], r.text
    assert metric(gateway, "slipway_requests_total", model=MODEL, code="400") == before + 1


@pytest.mark.parametrize("depth", [40, 900])
def test_deep_tensor_data_is_refused_by_name(gateway, app_key, depth):
    data = "[" * depth + "1" + "]" * depth
    body = (
        f'{{"inputs": [{{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": {data}}}]}}'
    )
    r = _post(gateway, f"/v2/models/{MODEL}/infer", body.encode(), app_key)
    assert r.status_code == 422 and "inputs.input.data" in r.json()["error"], r.text


# -- 1, 4: OIP framing and datatypes over plain HTTP -----------------------------------------
def _row_json(datatype, values):
    return {
        "inputs": [
            {"name": "input", "shape": [1, len(values)], "datatype": datatype, "data": values}
        ]
    }


def test_missing_content_type_reads_as_json_and_the_id_is_echoed(gateway, app_key):
    body = {**_row_json("FP32", [0.0] * 64), "id": "client-id-1"}
    r = httpx.post(
        f"{gateway}/v2/models/{MODEL}/infer", content=json.dumps(body).encode(), headers=app_key
    )
    assert r.status_code == 200 and r.json()["id"] == "client-id-1", r.text


def test_declared_integer_datatype_refuses_fractions(gateway, app_key):
    r = httpx.post(
        f"{gateway}/v2/models/{MODEL}/infer",
        json=_row_json("INT8", [3.7] + [0] * 63),
        headers=app_key,
    )
    assert r.status_code == 422 and "not an integer (INT8)" in r.json()["error"], r.text
    r = httpx.post(
        f"{gateway}/v2/models/{MODEL}/infer", json=_row_json("INT8", [0] * 64), headers=app_key
    )
    assert r.status_code == 200, r.text


def test_binary_input_with_a_short_tail_is_400(gateway, app_key):
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": "input",
                    "shape": [1, 64],
                    "datatype": "FP32",
                    "parameters": {"binary_data_size": 256},
                }
            ]
        }
    ).encode()
    r = httpx.post(
        f"{gateway}/v2/models/{MODEL}/infer",
        content=header + b"\x00" * 100,
        headers={**app_key, "Inference-Header-Content-Length": str(len(header))},
    )
    assert r.status_code == 400 and "only 100 follow" in r.json()["error"], r.text


def test_oip_server_metadata_and_model_ready(gateway, app_key):
    assert httpx.get(f"{gateway}/v2").json()["extensions"] == ["binary_tensor_data"]
    assert httpx.get(f"{gateway}/v2/models/{MODEL}/ready", headers=app_key).json()["ready"] is True
    assert (
        httpx.get(f"{gateway}/v2/models/{MODEL}/versions/9/ready", headers=app_key).status_code
        == 404
    )
    meta = httpx.get(f"{gateway}/v2/models/{MODEL}/versions/1", headers=app_key).json()
    assert set(meta) == {"name", "versions", "platform", "inputs", "outputs", "parameters"}
    assert httpx.get(f"{gateway}/v2/models/{MODEL}/ready").status_code == 401


# -- 11: JSON errors everywhere, request ids -------------------------------------------------
def test_unknown_routes_and_methods_answer_json(gateway):
    r = httpx.get(f"{gateway}/nope")
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    assert "no route GET /nope" in r.json()["error"]
    r = httpx.get(f"{gateway}/v2/models/{MODEL}/infer")
    assert r.status_code == 405 and "POST" in r.json()["error"] and r.headers["allow"] == "POST"


@pytest.mark.parametrize(
    "given, kept", [("req-1.2_3", True), ("x" * 129, False), ("has space", False), ("a/b", False)]
)
def test_request_ids_that_are_not_short_tokens_are_replaced(gateway, app_key, given, kept):
    r = httpx.post(
        f"{gateway}/v1/models/{MODEL}:predict",
        json={"instances": [[0.0] * 64]},
        headers={**app_key, "X-Request-Id": given},
    )
    rid = r.headers["x-request-id"]
    assert (rid == given) is kept and len(rid) <= 128
    time.sleep(1.2)  # access lines are written once a second
    assert kept == (given in gateway.log())


# -- 8: routing writes are checked before anything reaches the registry ------------------------
@pytest.mark.parametrize(
    "version, code", [("99", 404), ("../../etc", 422), ("1; drop", 422), ("0", 422)]
)
def test_routing_to_a_version_that_does_not_exist_is_refused(
    gateway, keys, gw_home, monkeypatch, version, code
):
    from slipway.registry import open_registry

    monkeypatch.setenv("SLIPWAY_HOME", str(gw_home))
    registry = open_registry()
    before = registry.routing(MODEL)
    r = httpx.put(
        f"{gateway}/admin/models/{MODEL}/routing",
        headers=auth(keys[1]["ops"]),
        json={"mode": "canary", "weight": 10, "canary_version": version},
    )
    assert r.status_code == code, r.text
    assert registry.routing(MODEL) == before


# -- 10: slow and idle connections are closed; the connection count is capped -----------------
def _connect(url) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
    sock.settimeout(10)  # a bound on the test, not a timing assert: the server closes far sooner
    return sock


def _read_until_closed(sock) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    return data


def test_idle_slow_header_and_slow_body_connections_are_closed(gateway, keys):
    before = {
        r: metric(gateway, "slipway_connections_closed_total", reason=r)
        for r in ("header_timeout", "body_timeout")
    }
    idle = _connect(gateway)
    slow_header = _connect(gateway)
    slow_header.sendall(b"POST /v1/models/x:predict HTTP/1.1\r\nHost: a\r\n")
    slow_body = _connect(gateway)
    slow_body.sendall(
        f"POST /v1/models/{MODEL}:predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {keys[1]['app']}\r\n".encode()
        + b'Content-Length: 100\r\n\r\n{"instances":'
    )
    for _ in range(2):  # still trickling: a byte now and then does not keep it open
        time.sleep(0.2)
        slow_header.sendall(b"X")
    for sock, reason in ((idle, "headers"), (slow_header, "headers"), (slow_body, "body")):
        answer = _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 408") and reason.encode() in answer, answer
    assert (
        metric(gateway, "slipway_connections_closed_total", reason="header_timeout")
        >= before["header_timeout"] + 2
    )
    assert (
        metric(gateway, "slipway_connections_closed_total", reason="body_timeout")
        >= before["body_timeout"] + 1
    )


def test_connections_past_the_cap_are_refused_with_503(gateway):
    held = [_connect(gateway) for _ in range(6)]
    try:
        extra = _connect(gateway)
        answer = _read_until_closed(extra)
        assert answer.startswith(b"HTTP/1.1 503") and b"limit of 6 connections" in answer, answer
    finally:
        for sock in held:
            sock.close()
    assert httpx.get(f"{gateway}/v2/health/live").status_code == 200
