"""The gateway over real HTTP on a free loopback port: auth, limits, validation, metrics, load."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from slipway.serving.testing import gateway_process
from tests.e2e.serving.conftest import MODEL

pytestmark = pytest.mark.slow

BODY_LIMIT = 20_000


@pytest.fixture(scope="module")
def gateway(gw_home, keys):
    path, _ = keys
    args = [
        "--keys-file",
        str(path),
        "--enable-admin",
        "--max-body-bytes",
        str(BODY_LIMIT),
        "--profile-sample",
        "1",
    ]
    with gateway_process([MODEL], env={"SLIPWAY_HOME": str(gw_home)}, extra_args=args) as url:
        yield url


@pytest.fixture(scope="module")
def row(candidate_dir):
    from slipway.core.contract import ServingContract

    contract = ServingContract.model_validate_json(
        (candidate_dir / "serving_contract.json").read_text()
    )
    return [max(0.0, f.min) for f in contract.features], contract.feature_names


def auth(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}


def metric(base_url: str, name: str, **labels) -> float:
    text = httpx.get(f"{base_url}/metrics").text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


# -- auth ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers, params, code",
    [
        ({}, {}, 401),
        ({"Authorization": "Bearer sk_wrong"}, {}, 401),
        ("old", {}, 401),
        ({}, "app", 401),  # the right key in the query string is still refused
        ("app", {}, 200),
        ({"X-API-Key": "use-app"}, {}, 200),
    ],
)
def test_predict_auth(gateway, keys, row, headers, params, code):
    _, plain = keys
    if headers == "old":
        headers = auth(plain["old"])
    elif headers == "app":
        headers = auth(plain["app"])
    elif headers.get("X-API-Key") == "use-app":
        headers = {"X-API-Key": plain["app"]}
    if params == "app":
        params = {"api_key": plain["app"]}
    r = httpx.post(
        f"{gateway}/v1/models/{MODEL}:predict",
        json={"instances": [row[0]]},
        headers=headers,
        params=params,
    )
    assert r.status_code == code, r.text
    if code != 200:
        assert "error" in r.json()


def test_predict_key_on_admin_route_is_403_and_admin_key_works(gateway, keys):
    _, plain = keys
    r = httpx.post(f"{gateway}/admin/models/{MODEL}/reload", headers=auth(plain["app"]))
    assert r.status_code == 403 and "admin" in r.json()["error"]
    r = httpx.post(f"{gateway}/admin/models/{MODEL}/reload", headers=auth(plain["ops"]))
    assert r.status_code == 200 and r.json()["champion"] == "1"


def test_keys_never_in_logs_or_metrics(gateway, keys):
    _, plain = keys
    text = httpx.get(f"{gateway}/metrics").text + gateway.log()
    for secret in plain.values():
        assert secret not in text


# -- answers --------------------------------------------------------------------------------
def test_v1_by_list_and_by_name_agree_and_say_version(gateway, keys, row):
    _, plain = keys
    values, names = row
    by_list = httpx.post(
        f"{gateway}/v1/models/{MODEL}:predict",
        json={"instances": [values]},
        headers=auth(plain["app"]),
    )
    by_name = httpx.post(
        f"{gateway}/v1/models/{MODEL}:predict",
        json={"instances": [dict(zip(names, values, strict=True))]},
        headers=auth(plain["app"]),
    )
    assert by_list.status_code == by_name.status_code == 200
    assert by_list.json()["predictions"] == by_name.json()["predictions"]
    assert (
        by_list.headers["X-Slipway-Model-Version"] == "1"
        and by_list.headers["X-Slipway-Variant"] == "champion"
    )
    assert by_list.json()["model_version"] == "1" and by_list.json()["variant"] == "champion"
    assert by_list.headers["X-Request-Id"]


def test_oip_v2_infer_and_metadata(gateway, keys, row):
    _, plain = keys
    values, _ = row
    body = {
        "inputs": [
            {
                "name": "input",
                "shape": [2, len(values)],
                "datatype": "FP32",
                "data": values + values,
            }
        ]
    }
    r = httpx.post(f"{gateway}/v2/models/{MODEL}/infer", json=body, headers=auth(plain["app"]))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (
        doc["model_name"] == MODEL and doc["model_version"] == "1" and doc["variant"] == "champion"
    )
    outputs = {o["name"]: o for o in doc["outputs"]}
    assert outputs["label"]["shape"] == [2] and outputs["probabilities"]["shape"] == [2, 10]
    meta = httpx.get(f"{gateway}/v2/models/{MODEL}", headers=auth(plain["app"])).json()
    assert meta["versions"] == ["1"] and meta["inputs"][0]["shape"] == [-1, len(values)]
    assert httpx.get(f"{gateway}/v2/health/live").status_code == 200


# -- bad requests: the right 4xx, runtime never called, server alive --------------------------
def _bad_cases(values, names):
    n = len(values)
    return [
        ("wrong shape", {"instances": [values[:-1]]}, "application/json", 422, "instances[0]"),
        ("wrong dtype", {"instances": [values[:-1] + ["7"]]}, "application/json", 422, names[-1]),
        ("NaN", "NAN", "application/json", 422, names[0]),
        (
            "missing field",
            {"instances": [dict(list(zip(names, values, strict=True))[1:])]},
            "application/json",
            422,
            names[0],
        ),
        (
            "extra field",
            {"instances": [{**dict(zip(names, values, strict=True)), "zzz": 1}]},
            "application/json",
            422,
            "zzz",
        ),
        ("out of range", {"instances": [[1e6] + values[1:]]}, "application/json", 422, names[0]),
        (
            "v2 wrong shape",
            {
                "inputs": [
                    {"name": "input", "shape": [1, n + 1], "datatype": "FP32", "data": values + [0]}
                ]
            },
            "application/json",
            422,
            "shape",
        ),
        ("malformed JSON", b'{"instances": [[1, 2', "application/json", 400, "JSON"),
        (
            "wrong content type",
            b"instances=1",
            "application/x-www-form-urlencoded",
            415,
            "content type",
        ),
    ]


@pytest.mark.parametrize("case", range(9))
def test_bad_request_is_4xx_naming_the_field(gateway, keys, row, case):
    _, plain = keys
    values, names = row
    what, body, ctype, code, needle = _bad_cases(values, names)[case]
    if body == "NAN":
        body = ('{"instances": [[NaN' + "".join(f", {v}" for v in values[1:]) + "]]}").encode()
    elif isinstance(body, dict):
        body = json.dumps(body).encode()
    path = "v2/models/digits-gw/infer" if what.startswith("v2") else f"v1/models/{MODEL}:predict"
    before = metric(gateway, "slipway_batch_size_count", model=MODEL)
    r = httpx.post(
        f"{gateway}/{path}", content=body, headers={**auth(plain["app"]), "Content-Type": ctype}
    )
    assert r.status_code == code, (what, r.text)
    assert needle in r.json()["error"], (what, r.json())
    assert (
        metric(gateway, "slipway_batch_size_count", model=MODEL) == before
    )  # the runtime was not called
    assert httpx.get(f"{gateway}/v2/health/ready").status_code == 200


def test_unknown_model_is_404(gateway, keys, row):
    _, plain = keys
    r = httpx.post(
        f"{gateway}/v1/models/nope:predict",
        json={"instances": [row[0]]},
        headers=auth(plain["app"]),
    )
    assert r.status_code == 404 and "nope" in r.json()["error"]


def test_body_one_byte_over_the_limit_is_413(gateway, keys):
    _, plain = keys
    headers = {**auth(plain["app"]), "Content-Type": "application/json"}
    over = httpx.post(
        f"{gateway}/v1/models/{MODEL}:predict", content=b"{" * (BODY_LIMIT + 1), headers=headers
    )
    assert over.status_code == 413
    at = httpx.post(
        f"{gateway}/v1/models/{MODEL}:predict", content=b"{" * BODY_LIMIT, headers=headers
    )
    assert at.status_code == 400  # at the limit it is read and parsed (and is bad JSON)


def test_rejections_are_counted(gateway, keys, row):
    _, plain = keys
    before = metric(gateway, "slipway_validation_rejections_total", model=MODEL, variant="champion")
    httpx.post(
        f"{gateway}/v1/models/{MODEL}:predict",
        json={"instances": [[1.0]]},
        headers=auth(plain["app"]),
    )
    assert (
        metric(gateway, "slipway_validation_rejections_total", model=MODEL, variant="champion")
        == before + 1
    )


# -- load --------------------------------------------------------------------------------------
def test_concurrent_load_zero_5xx_and_counters_match(gateway, keys, row):
    _, plain = keys
    before = metric(gateway, "slipway_requests_total", model=MODEL, code="200")
    counts: dict[int, int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def client():
        with httpx.Client(base_url=gateway, headers=auth(plain["app"])) as c:
            while not stop.is_set():
                code = c.post(
                    f"/v1/models/{MODEL}:predict", json={"instances": [row[0]]}
                ).status_code
                with lock:
                    counts[code] = counts.get(code, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    stop.wait(2.0)
    stop.set()
    for t in threads:
        t.join()
    assert set(counts) == {200}, counts
    assert (
        metric(gateway, "slipway_requests_total", model=MODEL, code="200") - before == counts[200]
    )
    assert metric(gateway, "slipway_batch_size_count", model=MODEL) > 0
