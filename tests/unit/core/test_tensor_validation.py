"""Requests against a tensor contract (schema 2): every refusal names the tensor."""

import numpy as np
import pytest

from slipway.core.contract import TensorSpec, image_contract
from slipway.core.oip import encode_binary
from slipway.core.request_validation import RequestInvalid, parse_instances, parse_oip

C = image_contract([1, 4, 4], low=0, high=1, classes=10, max_batch_size=3)


def oip(shape, data, datatype="FP32", name="input"):
    return {"inputs": [{"name": name, "shape": shape, "datatype": datatype, "data": data}]}


def images(n, value=0.5):
    return np.full((n, 1, 4, 4), value, dtype=np.float32)


def test_a_json_batch_is_accepted_in_the_contract_dtype():
    x = parse_oip(oip([2, 1, 4, 4], images(2).ravel().tolist()), C)
    assert x.dtype == np.float32 and x.shape == (2, 1, 4, 4)


def test_binary_tensor_data_is_accepted():
    raw = encode_binary(images(1))
    doc = {
        "inputs": [
            {
                "name": "input",
                "shape": [1, 1, 4, 4],
                "datatype": "FP32",
                "parameters": {"binary_data_size": len(raw)},
            }
        ]
    }
    assert parse_oip(doc, C, raw).shape == (1, 1, 4, 4)


def test_instances_of_nested_images_are_accepted():
    x = parse_instances({"instances": images(2).tolist()}, C)
    assert x.shape == (2, 1, 4, 4) and x.dtype == np.float32


@pytest.mark.parametrize(
    "doc, field, status",
    [
        (oip([2, 16], images(2).ravel().tolist()), "inputs.input.shape", 422),
        (oip([1, 1, 4, 5], [0.5] * 20), "inputs.input.shape", 422),
        (oip([1, 1, 4, 4], [0.5] * 16, datatype="FP64"), "inputs.input.datatype", 422),
        (oip([1, 1, 4, 4], [0] * 16, datatype="INT64"), "inputs.input.datatype", 422),
        (oip([4, 1, 4, 4], images(4).ravel().tolist()), "inputs.input", 422),
        (oip([1, 1, 4, 4], [0.5] * 15 + [1.5]), "inputs.input[0, 0, 3, 3]", 422),
        (oip([1, 1, 4, 4], [0.5] * 16, name="pixels"), "inputs.pixels", 422),
        (oip([1, 1, 4, 4], [0.5] * 15), "inputs.input.data", 422),
    ],
)
def test_bad_tensors_are_refused_naming_the_tensor(doc, field, status):
    with pytest.raises(RequestInvalid) as caught:
        parse_oip(doc, C)
    assert caught.value.field == field and caught.value.status == status


def test_nan_is_refused_with_its_position():
    data = [0.5] * 16
    data[5] = float("nan")
    with pytest.raises(RequestInvalid, match="NaN and infinity") as caught:
        parse_oip(oip([1, 1, 4, 4], data), C)
    assert caught.value.field == "inputs.input[0, 0, 1, 1]"


def test_too_large_a_batch_names_the_limit():
    with pytest.raises(RequestInvalid, match="max_batch_size 3"):
        parse_oip(oip([4, 1, 4, 4], images(4).ravel().tolist()), C)


def test_wrong_byte_length_in_binary_data_is_a_400():
    raw = encode_binary(images(1))[:-4]
    doc = {
        "inputs": [
            {
                "name": "input",
                "shape": [1, 1, 4, 4],
                "datatype": "FP32",
                "parameters": {"binary_data_size": len(raw)},
            }
        ]
    }
    with pytest.raises(RequestInvalid, match="60 bytes of FP32 but shape") as caught:
        parse_oip(doc, C, raw)
    assert caught.value.status == 400 and caught.value.field == "inputs.input.data"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"instances": [[[0.5] * 4] * 4]}, "instances.input.shape"),
        ({"instances": [[[["a"] * 4] * 4]]}, "instances"),
        ({"instances": images(1, 2.0).tolist()}, "instances.input[0, 0, 0, 0]"),
    ],
)
def test_bad_instances_are_refused(payload, field):
    with pytest.raises(RequestInvalid) as caught:
        parse_instances(payload, C)
    assert caught.value.field == field


def test_two_inputs_must_agree_on_the_batch():
    from slipway.core.contract import ServingContract
    from slipway.core.oip_messages import InferInput
    from slipway.core.request_validation import check_tensors

    contract = ServingContract(
        inputs=[
            TensorSpec(name="ids", datatype="INT64", shape=[-1, -1]),
            TensorSpec(name="mask", datatype="INT64", shape=[-1, -1]),
        ]
    )
    a = np.zeros((2, 5), dtype=np.int64)
    b = np.zeros((3, 5), dtype=np.int64)
    with pytest.raises(RequestInvalid, match="disagree on the batch"):
        check_tensors(
            [InferInput("ids", "INT64", a.shape, a), InferInput("mask", "INT64", b.shape, b)],
            contract,
        )
    got = check_tensors(
        [InferInput("ids", "INT64", a.shape, a), InferInput("mask", "INT64", a.shape, a)],
        contract,
    )
    assert set(got) == {"ids", "mask"}
