"""The unmodified Triton clients (`tritonclient.http`, `tritonclient.grpc`) against a real gateway.

What a Triton or KServe user calls first: server live/ready/metadata, model ready/metadata,
infer with binary (the client's default) and JSON inputs, binary outputs, a specific version,
the request id echoed, requested outputs only, and the errors they get for what is refused.
"""

from __future__ import annotations

import numpy as np
import pytest

from slipway.serving.testing import free_port, gateway_process
from tests.e2e.serving.conftest import MODEL
from tests.e2e.serving.test_gateway_http import metric

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(gw_home, keys):
    path, plain = keys
    grpc_port = free_port()
    args = ["--keys-file", str(path), "--grpc-port", str(grpc_port)]
    with gateway_process([MODEL], env={"SLIPWAY_HOME": str(gw_home)}, extra_args=args) as url:
        # a fresh dict per call: tritonclient.http writes its Inference-Header-Content-Length
        # into the headers dict it is given, which would leak into the next request
        yield url, f"127.0.0.1:{grpc_port}", lambda: {"authorization": f"Bearer {plain['app']}"}


@pytest.fixture(scope="module")
def rows(candidate_dir):
    from slipway.layout import read_contract

    contract = read_contract(candidate_dir)
    lo = np.array([max(0.0, f.min) for f in contract.features], dtype=np.float32)
    hi = np.array([f.max for f in contract.features], dtype=np.float32)
    return np.stack([lo, (lo + hi) / 2]).astype(np.float32)


def _http(url):
    import tritonclient.http as httpclient

    return httpclient, httpclient.InferenceServerClient(url.removeprefix("http://"))


def _grpc(target):
    import tritonclient.grpc as grpcclient

    return grpcclient, grpcclient.InferenceServerClient(target)


def test_http_server_and_model_calls(served):
    url, _, auth = served
    _, client = _http(url)
    assert client.is_server_live() and client.is_server_ready()
    assert client.get_server_metadata()["name"] == "slipway"
    assert client.is_model_ready(MODEL, headers=auth())
    assert client.is_model_ready(MODEL, "1", headers=auth())
    meta = client.get_model_metadata(MODEL, headers=auth())
    assert (
        meta["name"] == MODEL
        and meta["versions"] == ["1"]
        and meta["platform"] == "onnxruntime_onnx"
    )
    assert meta["inputs"][0]["datatype"] == "FP32" and meta["inputs"][0]["shape"][0] == -1
    assert {o["name"] for o in meta["outputs"]} == {"label", "probabilities"}
    assert meta["parameters"]["candidate"] == "onnx-fp32"


@pytest.mark.parametrize("binary_in", [True, False], ids=["binary-inputs", "json-inputs"])
@pytest.mark.parametrize("binary_out", [True, False], ids=["binary-outputs", "json-outputs"])
def test_http_infer_binary_and_json(served, rows, binary_in, binary_out):
    url, _, auth = served
    httpclient, client = _http(url)
    inp = httpclient.InferInput("input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows, binary_data=binary_in)
    outs = [httpclient.InferRequestedOutput("probabilities", binary_data=binary_out)]
    result = client.infer(MODEL, [inp], outputs=outs, headers=auth(), request_id="req-42")
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (2, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-3)
    doc = result.get_response()
    assert doc["id"] == "req-42" and [o["name"] for o in doc["outputs"]] == ["probabilities"]
    assert result.as_numpy("label") is None  # not asked for, not sent


def test_http_default_call_gets_every_output_in_binary(served, rows):
    url, _, auth = served
    httpclient, client = _http(url)
    inp = httpclient.InferInput("input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows)
    result = client.infer(MODEL, [inp], headers=auth())
    labels = result.as_numpy("label")
    assert labels.shape == (2,) and labels.dtype == np.int64
    assert all("binary_data_size" in o["parameters"] for o in result.get_response()["outputs"])


def test_http_pinned_version_and_refusals(served, rows):
    from tritonclient.utils import InferenceServerException

    url, _, auth = served
    httpclient, client = _http(url)
    inp = httpclient.InferInput("input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows)
    assert (
        client.infer(MODEL, [inp], model_version="1", headers=auth()).get_response()[
            "model_version"
        ]
        == "1"
    )
    with pytest.raises(InferenceServerException, match="version '7' is not loaded"):
        client.infer(MODEL, [inp], model_version="7", headers=auth())
    with pytest.raises(InferenceServerException, match="unknown output"):
        client.infer(
            MODEL, [inp], outputs=[httpclient.InferRequestedOutput("nope")], headers=auth()
        )
    with pytest.raises(InferenceServerException, match="API key"):
        client.infer(MODEL, [inp])
    as_int8 = httpclient.InferInput("input", list(rows.shape), "INT8")
    as_int8.set_data_from_numpy(np.zeros(rows.shape, dtype=np.int8), binary_data=False)
    assert client.infer(MODEL, [as_int8], headers=auth()).as_numpy("label").shape == (2,)


def test_grpc_server_and_model_calls(served):
    _, target, auth = served
    _, client = _grpc(target)
    assert client.is_server_live() and client.is_server_ready()
    assert client.get_server_metadata().name == "slipway"
    assert client.is_model_ready(MODEL, headers=auth()) and client.is_model_ready(
        MODEL, "1", headers=auth()
    )
    meta = client.get_model_metadata(MODEL, headers=auth(), as_json=True)
    assert meta["name"] == MODEL and meta["versions"] == ["1"]
    assert {o["name"] for o in meta["outputs"]} == {"label", "probabilities"}


def test_grpc_infer_matches_http_and_is_counted(served, rows):
    url, target, auth = served
    grpcclient, client = _grpc(target)
    before = metric(url, "slipway_requests_total", model=MODEL, code="200")
    inp = grpcclient.InferInput("input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows)
    result = client.infer(
        MODEL,
        [inp],
        model_version="1",
        request_id="g-1",
        headers=auth(),
        outputs=[grpcclient.InferRequestedOutput("label")],
    )
    labels = result.as_numpy("label")
    assert result.get_response().id == "g-1" and result.get_response().model_version == "1"
    assert [o.name for o in result.get_response().outputs] == ["label"]
    httpclient, hclient = _http(url)
    hinp = httpclient.InferInput("input", list(rows.shape), "FP32")
    hinp.set_data_from_numpy(rows)
    assert (
        labels.tolist() == hclient.infer(MODEL, [hinp], headers=auth()).as_numpy("label").tolist()
    )
    assert metric(url, "slipway_requests_total", model=MODEL, code="200") >= before + 1


def test_grpc_refusals_map_to_status_codes(served, rows):
    from tritonclient.utils import InferenceServerException

    url, target, auth = served
    grpcclient, client = _grpc(target)
    inp = grpcclient.InferInput("input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows)
    cases = [
        (dict(), "UNAUTHENTICATED"),
        (dict(headers=auth(), model_version="7"), "NOT_FOUND"),
        (
            dict(headers=auth(), outputs=[grpcclient.InferRequestedOutput("nope")]),
            "INVALID_ARGUMENT",
        ),
    ]
    before = metric(url, "slipway_requests_total", model=MODEL, code="401")
    for kwargs, status in cases:
        with pytest.raises(InferenceServerException) as exc:
            client.infer(MODEL, [inp], **kwargs)
        assert exc.value.status() == f"StatusCode.{status}", exc.value
    wide = grpcclient.InferInput("input", [1, rows.shape[1] + 1], "FP32")
    wide.set_data_from_numpy(np.zeros((1, rows.shape[1] + 1), dtype=np.float32))
    with pytest.raises(InferenceServerException, match="does not match the contract"):
        client.infer(MODEL, [wide], headers=auth())
    assert metric(url, "slipway_requests_total", model=MODEL, code="401") == before + 1
