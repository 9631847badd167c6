"""The OIP v2 tensor codec: every datatype through JSON and binary, refusals naming the field."""

import struct

import numpy as np
import orjson
import pytest

from slipway.core.oip import (
    DTYPES,
    TensorInvalid,
    datatype_of,
    decode_binary,
    decode_json,
    encode_binary,
    json_data,
)
from slipway.core.oip_messages import (
    encode_response,
    parse_request,
    select_outputs,
    split_body,
)

SAMPLES = {
    "BOOL": [True, False, True, True],
    "UINT8": [0, 1, 200, 255],
    "UINT16": [0, 1, 2, 65535],
    "UINT32": [0, 7, 8, 2**32 - 1],
    "UINT64": [0, 1, 2, 2**64 - 1],
    "INT8": [-128, 0, 5, 127],
    "INT16": [-32768, 1, 2, 32767],
    "INT32": [-(2**31), 0, 1, 2**31 - 1],
    "INT64": [-(2**63), 0, 1, 2**63 - 1],
    "FP16": [0.5, -1.0, 2.0, 65504.0],
    "FP32": [0.25, -1.5, 3.0, 2.0**100],
    "FP64": [1e300, -2.5, 0, 1],
    "BYTES": ["héllo", "", "a b", "z"],
}


@pytest.mark.parametrize("datatype", list(DTYPES))
def test_every_datatype_round_trips_json_and_binary(datatype):
    # given four values of the datatype as JSON data, shape [2, 2]
    array = decode_json(datatype, (2, 2), SAMPLES[datatype], "x")
    # then the array has the datatype's dtype and the values
    assert datatype_of(array) == datatype and array.shape == (2, 2)
    assert json_data(array) == SAMPLES[datatype]
    # and the binary encoding decodes back to the same array
    again = decode_binary(datatype, (2, 2), encode_binary(array), "x")
    assert again.dtype == array.dtype and json_data(again) == SAMPLES[datatype]


def test_bytes_binary_is_length_prefixed_little_endian():
    array = decode_json("BYTES", (2,), ["ab", ""], "x")
    assert encode_binary(array) == struct.pack("<I", 2) + b"ab" + struct.pack("<I", 0)


def test_numbers_are_little_endian_on_the_wire():
    assert encode_binary(np.array([1], dtype=">i4")) == b"\x01\x00\x00\x00"
    assert decode_binary("INT32", (1,), b"\x01\x00\x00\x00", "x").tolist() == [1]


@pytest.mark.parametrize(
    "datatype, data, field, needle",
    [
        ("INT8", [1, 3.7], "x[1]", "not an integer"),
        ("INT8", [1, 300], "x[1]", "outside INT8"),
        ("UINT8", [-1, 0], "x[0]", "outside UINT8"),
        ("UINT64", [2**64, 0], "x[0]", "outside UINT64"),
        ("INT64", [2**63, 0], "x[0]", "outside INT64"),
        ("FP16", [1e6, 0], "x[0]", "outside the FP16"),
        ("FP32", [1, "2"], "x[1]", "expected a number"),
        ("FP32", [True, 2], "x[0]", "expected a number"),
        ("FP32", [None, 2], "x[0]", "expected a number"),
        ("BOOL", [1, 0], "x[0]", "true or false"),
        ("BYTES", ["a", 1], "x[1]", "expected a string"),
        ("FP32", [1, 2, 3], "x", "holds 3 values"),
        ("FP32", 5, "x", "expected a list"),
    ],
)
def test_json_data_must_fit_the_declared_datatype(datatype, data, field, needle):
    with pytest.raises(TensorInvalid) as exc:
        decode_json(datatype, (2,), data, "x")
    assert exc.value.field == field and needle in str(exc.value)


@pytest.mark.parametrize("may_hold_bools", [True, False])
def test_the_fast_numeric_path_refuses_what_the_walk_refuses(may_hold_bools):
    assert decode_json("FP32", (2, 2), [[1, 2], [3, 4.5]], "x", may_hold_bools).tolist() == [
        [1, 2],
        [3, 4.5],
    ]
    for bad in ([[1, "2"], [3, 4]], [[1, None], [3, 4]], [[1, 2], [3]], [1, 2, 3, 4, 5]):
        with pytest.raises(TensorInvalid):
            decode_json("FP32", (2, 2), bad, "x", may_hold_bools)


def test_deep_nesting_is_refused_without_recursion():
    deep = [1.0]
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(TensorInvalid, match="nested deeper"):
        decode_json("FP32", (1,), deep, "x")


@pytest.mark.parametrize(
    "datatype, raw, needle",
    [
        ("FP32", b"\x00" * 7, "7 bytes of FP32"),
        ("INT64", b"\x00" * 24, "needs 16"),
        ("BYTES", struct.pack("<I", 5) + b"ab", "says 5 bytes"),
        ("BYTES", b"\x01\x00", "length prefix"),
        ("BOOL", b"\x02\x00", "0 or 1"),
    ],
)
def test_binary_byte_lengths_are_checked(datatype, raw, needle):
    with pytest.raises(TensorInvalid, match=needle) as exc:
        decode_binary(datatype, (2,), raw, "x")
    assert exc.value.status == 400


def _binary_request(**params):
    header = orjson.dumps(
        {
            "id": "req-7",
            "inputs": [
                {
                    "name": "a",
                    "datatype": "FP32",
                    "shape": [1, 2],
                    "parameters": {"binary_data_size": 8},
                },
                {"name": "b", "datatype": "INT64", "shape": [1], "data": [4]},
                {
                    "name": "c",
                    "datatype": "BYTES",
                    "shape": [1],
                    "parameters": {"binary_data_size": 7},
                },
            ],
            "outputs": [{"name": "p", "parameters": {"binary_data": True}}, {"name": "q"}],
            "parameters": params,
        }
    )
    tail = np.array([1.5, 2.5], dtype="<f4").tobytes() + struct.pack("<I", 3) + b"abc"
    return header + tail, len(header)


def test_binary_request_splits_at_the_header_length_and_slices_inputs_in_order():
    body, n = _binary_request()
    header, tail = split_body(body, str(n))
    request = parse_request(orjson.loads(header), tail)
    a, b, c = request.inputs
    assert request.id == "req-7"
    assert (
        a.array.tolist() == [[1.5, 2.5]]
        and b.array.tolist() == [4]
        and c.array.tolist() == [b"abc"]
    )
    assert [(o.name, o.binary) for o in request.outputs] == [("p", True), ("q", None)]


@pytest.mark.parametrize("length, needle", [("x", "not a length"), ("999999", "not a length")])
def test_a_bad_header_length_is_400(length, needle):
    body, _ = _binary_request()
    with pytest.raises(TensorInvalid, match=needle) as exc:
        split_body(body, length)
    assert exc.value.status == 400


def test_binary_bytes_must_all_belong_to_an_input():
    body, n = _binary_request()
    with pytest.raises(TensorInvalid, match="belong to no input"):
        parse_request(orjson.loads(body[:n]), memoryview(body[n:] + b"\x00"))
    with pytest.raises(TensorInvalid, match="7 bytes asked, only 2 follow"):
        parse_request(orjson.loads(body[:n]), memoryview(body[n:-5]))


def test_requested_outputs_are_honoured_and_unknown_ones_are_400():
    outputs = {"p": np.array([[0.25, 0.75]], dtype=np.float32), "q": np.array([1], dtype=np.int64)}
    body, n = _binary_request()
    request = parse_request(orjson.loads(body[:n]), memoryview(body[n:]))
    picked = select_outputs(outputs, request)
    assert [(name, binary) for name, _, binary in picked] == [("p", True), ("q", False)]
    request.outputs[1].name = "nope"
    with pytest.raises(TensorInvalid, match="unknown output") as exc:
        select_outputs(outputs, request)
    assert exc.value.status == 400 and exc.value.field == "outputs.nope"


def test_binary_data_output_makes_every_output_binary_and_the_response_says_where():
    outputs = {"p": np.array([[0.25, 0.75]], dtype=np.float32), "q": np.array([1], dtype=np.int64)}
    request = parse_request(
        {
            "inputs": [{"name": "a", "datatype": "FP32", "shape": [1], "data": [1]}],
            "parameters": {"binary_data_output": True},
        }
    )
    body, header_length = encode_response("m", "3", "r1", select_outputs(outputs, request))
    doc = orjson.loads(body[:header_length])
    assert doc["id"] == "r1" and doc["model_version"] == "3"
    sizes = [o["parameters"]["binary_data_size"] for o in doc["outputs"]]
    assert sizes == [8, 8] and len(body) == header_length + 16
    assert np.frombuffer(body[header_length : header_length + 8], "<f4").tolist() == [0.25, 0.75]
    plain, none = encode_response("m", "3", None, select_outputs(outputs, None))
    assert none is None and "id" not in orjson.loads(plain)
    assert orjson.loads(plain)["outputs"][1] == {
        "name": "q",
        "datatype": "INT64",
        "shape": [1],
        "data": [1],
    }


@pytest.mark.parametrize(
    "doc, field, status",
    [
        (
            {"inputs": [{"name": "a", "datatype": "FP33", "shape": [1], "data": [1]}]},
            "inputs.a.datatype",
            422,
        ),
        ({"inputs": [{"name": "a", "datatype": "FP32", "shape": [1]}]}, "inputs.a.data", 422),
        (
            {"inputs": [{"name": "a", "datatype": "FP32", "shape": [1], "data": [1]}], "id": 5},
            "id",
            400,
        ),
        (
            {
                "inputs": [
                    {
                        "name": "a",
                        "datatype": "FP32",
                        "shape": [1],
                        "data": [1],
                        "parameters": {"shared_memory_region": "r"},
                    }
                ]
            },
            "inputs.a.parameters.shared_memory_region",
            400,
        ),
        (
            {
                "inputs": [{"name": "a", "datatype": "FP32", "shape": [1], "data": [1]}],
                "outputs": "p",
            },
            "outputs",
            400,
        ),
    ],
)
def test_malformed_requests_name_the_field(doc, field, status):
    with pytest.raises(TensorInvalid) as exc:
        parse_request(doc)
    assert (exc.value.field, exc.value.status) == (field, status)
