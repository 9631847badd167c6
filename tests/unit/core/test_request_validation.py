"""Request payloads against a serving contract: every refusal names its field."""

import math

import numpy as np
import pytest

from slipway.core.contract import FeatureSpec, ServingContract
from slipway.core.request_validation import RequestInvalid, parse_instances, parse_oip

C = ServingContract(
    features=[
        FeatureSpec(name="a", dtype="float32", min=0, max=10),
        FeatureSpec(name="b", dtype="float32", min=-1, max=1),
        FeatureSpec(name="n", dtype="int64", min=0, max=5),
    ],
    max_batch_size=4,
)


@pytest.mark.parametrize(
    "payload, expected",
    [
        ({"instances": [[1, 0.5, 2]]}, [[1, 0.5, 2]]),
        ({"instances": [[0, -1, 0], [10, 1, 5]]}, [[0, -1, 0], [10, 1, 5]]),
        ({"instances": [{"b": 0.5, "a": 1, "n": 2}]}, [[1, 0.5, 2]]),
    ],
)
def test_instances_accepted(payload, expected):
    x = parse_instances(payload, C)
    assert x.dtype == np.float32 and x.tolist() == expected


@pytest.mark.parametrize(
    "payload, field",
    [
        ([1, 2], "body"),
        ({"instances": [[1, 0, 2]], "x": 1}, "x"),
        ({"instances": []}, "instances"),
        ({"instances": "1,2,3"}, "instances"),
        ({"instances": [[1, 0]]}, "instances[0]"),
        ({"instances": [[1, 0, 2, 3]]}, "instances[0]"),
        ({"instances": [[1, "0", 2]]}, "instances[0].b"),
        ({"instances": [[1, True, 2]]}, "instances[0].b"),
        ({"instances": [[1, None, 2]]}, "instances[0].b"),
        ({"instances": [[math.nan, 0, 2]]}, "instances[0].a"),
        ({"instances": [[1, math.inf, 2]]}, "instances[0].b"),
        ({"instances": [[11, 0, 2]]}, "instances[0].a"),
        ({"instances": [[1, 0, 2], [1, -2, 2]]}, "instances[1].b"),
        ({"instances": [[1, 0, 2.5]]}, "instances[0].n"),
        ({"instances": [{"a": 1, "b": 0}]}, "instances[0].n"),
        ({"instances": [{"a": 1, "b": 0, "n": 1, "z": 0}]}, "instances[0].z"),
        ({"instances": [{"a": 1, "b": 0, "n": 1}, [1, 0, 1]]}, "instances[1]"),
        ({"instances": [[1, 0, 1]] * 5}, "instances"),
    ],
)
def test_instances_refused_naming_the_field(payload, field):
    with pytest.raises(RequestInvalid) as exc:
        parse_instances(payload, C)
    assert exc.value.field == field


def _t(name="input", shape=(1, 3), data=(1, 0, 2), datatype="FP32", **extra):
    return {"name": name, "shape": list(shape), "datatype": datatype, "data": list(data), **extra}


@pytest.mark.parametrize(
    "payload, expected",
    [
        ({"inputs": [_t()]}, [[1, 0, 2]]),
        ({"inputs": [_t(shape=(2, 3), data=[[1, 0, 2], [2, 0, 3]])]}, [[1, 0, 2], [2, 0, 3]]),
        ({"id": "r", "inputs": [_t(datatype="INT64", data=(1, 0, 2))]}, [[1, 0, 2]]),
        (
            {"inputs": [_t("a", (2,), (1, 2)), _t("b", (2, 1), (0, 0)), _t("n", (2,), (1, 1))]},
            [[1, 0, 1], [2, 0, 1]],
        ),
    ],
)
def test_oip_accepted(payload, expected):
    assert parse_oip(payload, C).tolist() == expected


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"inputs": []}, "inputs"),
        ({"inputs": [_t()], "extra": 1}, "extra"),
        ({"inputs": [_t(shape=(1, 4), data=(1, 0, 2, 0))]}, "inputs.input.shape"),
        ({"inputs": [_t(shape=(1, 3), data=(1, 0))]}, "inputs.input.data"),
        ({"inputs": [_t(datatype="BYTES")]}, "inputs.input.datatype"),
        (
            {"inputs": [{"name": "input", "shape": [1, 3], "data": [1, 0, 2]}]},
            "inputs.input.datatype",
        ),
        ({"inputs": [_t(data=(1, "x", 2))]}, "inputs.input.data[1]"),
        ({"inputs": [_t(data=(1, math.nan, 2))]}, "inputs.input[0].b"),
        ({"inputs": [_t(shape=(1, -3))]}, "inputs.input.shape"),
        ({"inputs": [_t("zzz")]}, "inputs.zzz"),
        ({"inputs": [_t("a", (1,), (1,)), _t("b", (1,), (0,))]}, "inputs.n"),
        (
            {"inputs": [_t("a", (1,), (1,)), _t("b", (2,), (0, 0)), _t("n", (1,), (1,))]},
            "inputs.b.shape",
        ),
    ],
)
def test_oip_refused_naming_the_field(payload, field):
    with pytest.raises(RequestInvalid) as exc:
        parse_oip(payload, C)
    assert exc.value.field == field


def test_a_one_sided_range_names_the_open_end():
    # given a feature with only an upper bound (no lower bound in the contract)
    contract = ServingContract(features=[FeatureSpec(name="age", dtype="float64", max=120)])
    # when a value above it arrives, the message says which end is open instead of crashing
    with pytest.raises(
        RequestInvalid, match=r"outside the contract range \[unbounded, 120\]"
    ) as exc:
        parse_instances({"instances": [[130]]}, contract)
    assert exc.value.field == "instances[0].age"
    assert parse_instances({"instances": [[-1e9]]}, contract).tolist() == [[-1e9]]
