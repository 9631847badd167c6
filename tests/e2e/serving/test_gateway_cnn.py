"""The gateway serving the released CNN: `[N, 1, 32, 32]` FP32 over OIP v2 (JSON and binary
tensor data, unmodified tritonclient), and every bad tensor request refused with a 4xx that
names the tensor, before the runtime runs."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from slipway.core.oip import encode_binary
from slipway.serving.testing import gateway_process
from tests.e2e.serving.test_gateway_http import metric

pytestmark = pytest.mark.slow

MODEL = "digits-cnn-gw"


@pytest.fixture(scope="module")
def cnn_home(tmp_path_factory):
    """A SLIPWAY_HOME where the release flow made the CNN version 1 the champion."""
    from flows.release import release
    from slipway.release.params import ReleaseParams
    from slipway.train.params import TrainParams

    home = tmp_path_factory.mktemp("cnn-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("SLIPWAY_HOME", str(home))
    try:
        result = release(
            ReleaseParams(
                model_name=MODEL,
                train=TrainParams(arch="cnn", epochs=3),
                targets=["onnx-fp32", "ort-int8-static"],
                bench_batch_sizes=[1],
                bench_threads=[1],
                max_accuracy_drop=0.03,
            )
        )
        assert result.outcome == "promoted"
        from slipway.data import read_table

        eval_frame = read_table(result.stages["train"]["data_uris"]["eval"])
    finally:
        mp.undo()
    return home, eval_frame


@pytest.fixture(scope="module")
def served(cnn_home):
    home, _ = cnn_home
    args = ["--no-auth", "--max-body-bytes", str(8 << 20), "--max-batch-rows", "8"]
    with gateway_process([MODEL], env={"SLIPWAY_HOME": str(home)}, extra_args=args) as url:
        yield url


@pytest.fixture(scope="module")
def images(cnn_home):
    """Eval images [N, 1, 32, 32] and their labels."""
    _, frame = cnn_home
    x = frame.drop(columns=["digit"]).to_numpy(dtype=np.float32).reshape(-1, 1, 32, 32)
    return x, frame["digit"].to_numpy()


def infer(url: str, doc: dict, binary: bytes = b"") -> httpx.Response:
    if not binary:
        return httpx.post(f"{url}/v2/models/{MODEL}/infer", json=doc)
    import orjson

    header = orjson.dumps(doc)
    return httpx.post(
        f"{url}/v2/models/{MODEL}/infer",
        content=header + binary,
        headers={
            "content-type": "application/octet-stream",
            "inference-header-content-length": str(len(header)),
        },
    )


def tensor(shape, data=None, datatype="FP32", name="input", binary_size=None) -> dict:
    spec = {"name": name, "shape": shape, "datatype": datatype}
    if binary_size is not None:
        spec["parameters"] = {"binary_data_size": binary_size}
    else:
        spec["data"] = data
    return {"inputs": [spec]}


def test_tritonclient_binary_infer_gets_the_right_class(served, images):
    import tritonclient.http as httpclient

    x, y = images
    client = httpclient.InferenceServerClient(served.removeprefix("http://"))
    meta = client.get_model_metadata(MODEL)
    assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 1, 32, 32]}]
    right = 0
    for i in range(20):
        inp = httpclient.InferInput("input", [1, 1, 32, 32], "FP32")
        inp.set_data_from_numpy(x[i : i + 1], binary_data=True)
        result = client.infer(MODEL, [inp])
        label = result.as_numpy("label")
        probabilities = result.as_numpy("probabilities")
        assert label.shape == (1,) and probabilities.shape == (1, 10)
        assert int(label[0]) == int(probabilities[0].argmax())
        right += int(label[0]) == int(y[i])
    assert right >= 16  # the CNN's eval accuracy is well over 80%


def test_json_and_instances_forms_agree(served, images):
    x, _ = images
    batch = x[:4]
    oip = infer(served, tensor([4, 1, 32, 32], batch.ravel().tolist()))
    assert oip.status_code == 200, oip.text
    labels = next(o for o in oip.json()["outputs"] if o["name"] == "label")["data"]
    v1 = httpx.post(f"{served}/v1/models/{MODEL}:predict", json={"instances": batch.tolist()})
    assert v1.status_code == 200, v1.text
    assert v1.json()["predictions"] == labels


def bad_requests(x):
    one = x[:1]
    nan = one.copy()
    nan[0, 0, 5, 7] = np.nan
    raw = encode_binary(one)
    big = np.repeat(one, 1025, axis=0)
    return {
        "wrong shape": (
            tensor([1, 1024], one.ravel().tolist()),
            b"",
            422,
            "inputs.input.shape: [1, 1024] does not match the contract's [-1, 1, 32, 32]",
        ),
        "wrong datatype": (
            tensor([1, 1, 32, 32], one.astype(np.float64).ravel().tolist(), "FP64"),
            b"",
            422,
            "inputs.input.datatype: FP64 refused: the contract says FP32",
        ),
        "NaN": (
            tensor([1, 1, 32, 32], binary_size=len(raw)),
            encode_binary(nan),
            422,
            "inputs.input[0, 0, 5, 7]: nan refused: NaN and infinity are not allowed",
        ),
        "out of range": (
            tensor([1, 1, 32, 32], (one + 2).ravel().tolist()),
            b"",
            422,
            "is outside the contract range [0, 1]",
        ),
        "wrong byte length": (
            tensor([1, 1, 32, 32], binary_size=len(raw) - 4),
            raw[:-4],
            400,
            "inputs.input.data: 4092 bytes of FP32 but shape [1, 1, 32, 32] needs 4096",
        ),
        "batch too large": (
            tensor([1025, 1, 32, 32], binary_size=big.nbytes),
            encode_binary(big),
            422,
            "inputs.input: 1025 rows is over the contract's max_batch_size 1024",
        ),
        "unknown tensor": (
            tensor([1, 1, 32, 32], one.ravel().tolist(), name="pixels"),
            b"",
            422,
            "inputs.pixels: unknown input: the contract's inputs are input",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "wrong shape",
        "wrong datatype",
        "NaN",
        "out of range",
        "wrong byte length",
        "batch too large",
        "unknown tensor",
    ],
)
def test_bad_tensor_requests_are_refused_naming_the_tensor(served, images, case):
    doc, binary, status, message = bad_requests(images[0])[case]
    runtime_calls = metric(served, "slipway_batch_size_count", model=MODEL)
    refused = metric(served, "slipway_requests_total", model=MODEL, code=str(status))
    response = infer(served, doc, binary)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert metric(served, "slipway_requests_total", model=MODEL, code=str(status)) == refused + 1
    # nothing reached the runtime
    assert metric(served, "slipway_batch_size_count", model=MODEL) == runtime_calls


def test_the_confidence_histogram_counts_every_prediction(served, images):
    x, _ = images
    before = metric(served, "slipway_prediction_confidence_count", model=MODEL)
    response = infer(served, tensor([3, 1, 32, 32], x[:3].ravel().tolist()))
    assert response.status_code == 200, response.text
    count = metric(served, "slipway_prediction_confidence_count", model=MODEL)
    assert count == before + 3
    mean = metric(served, "slipway_prediction_confidence_sum", model=MODEL) / count
    assert 0.1 < mean <= 1.0
