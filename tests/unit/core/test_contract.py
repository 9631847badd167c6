"""The serving contract v2: named tensors, and the tabular contract as the special case."""

import json

import numpy as np
import pytest
from pydantic import ValidationError

from slipway.core.confidence import top1_confidence
from slipway.core.contract import (
    FeatureSpec,
    ServingContract,
    TensorSpec,
    image_contract,
)
from slipway.core.image_summary import SUMMARY_COLUMNS, summarize

V1_DOC = {
    "schema_version": 1,
    "input_name": "input",
    "input_dtype": "float32",
    "features": [{"name": "a", "dtype": "float32", "min": 0, "max": 1}],
    "max_batch_size": 8,
    "source": {},
}


def test_a_schema_1_file_loads_as_the_tabular_special_case():
    contract = ServingContract.model_validate_json(json.dumps(V1_DOC))
    assert contract.schema_version == 1 and contract.is_tabular
    (tensor,) = contract.tensors
    assert (tensor.name, tensor.datatype, tensor.shape) == ("input", "FP32", [-1, 1])


def test_an_image_contract_round_trips_as_schema_2():
    contract = image_contract([1, 32, 32], low=0, high=1, classes=10)
    again = ServingContract.model_validate_json(contract.model_dump_json())
    assert again == contract and again.schema_version == 2 and not again.is_tabular
    assert again.shape == [-1, 1, 32, 32]
    assert [o.name for o in again.outputs] == ["label", "probabilities"]


@pytest.mark.parametrize(
    "doc, problem",
    [
        ({}, "needs `features`"),
        (
            {
                "features": [{"name": "a", "dtype": "float32"}],
                "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 1]}],
            },
            "not both",
        ),
        ({"inputs": [{"name": "x", "datatype": "FP33", "shape": [-1]}]}, "datatype"),
        ({"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 0]}]}, "size < 1"),
        ({"inputs": [{"name": "x", "datatype": "FP32", "shape": [-2]}]}, "size < 1"),
        ({"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1], "min": 2, "max": 1}]}, "min"),
        (
            {
                "inputs": [
                    {"name": "x", "datatype": "FP32", "shape": [-1]},
                    {"name": "x", "datatype": "FP32", "shape": [-1]},
                ]
            },
            "twice",
        ),
    ],
)
def test_malformed_contracts_are_refused(doc, problem):
    with pytest.raises(ValidationError, match=problem):
        ServingContract.model_validate(doc)


@pytest.mark.parametrize(
    "shape, ok",
    [([3, 1, 32, 32], True), ([1, 1, 32, 32], True), ([3, 32, 32], False), ([3, 1, 32, 31], False)],
)
def test_tensor_shape_matching(shape, ok):
    assert TensorSpec(name="x", datatype="FP32", shape=[-1, 1, 32, 32]).matches(shape) is ok


def test_example_shape_fills_dynamic_dimensions():
    spec = TensorSpec(name="x", datatype="FP32", shape=[-1, 3, -1])
    assert spec.example_shape(4) == [4, 3, 1] and spec.item_size == 3


def test_tabular_contract_tensors_follow_the_features():
    contract = ServingContract(
        features=[FeatureSpec(name=n, dtype="float32") for n in "abc"], input_dtype="float64"
    )
    assert contract.tensors == [TensorSpec(name="input", datatype="FP64", shape=[-1, 3])]


def test_image_summaries():
    dark = np.zeros((1, 1, 4, 4), dtype=np.float32)
    bright = np.ones((1, 1, 4, 4), dtype=np.float32)
    half = np.concatenate([np.zeros(8), np.ones(8)]).reshape(1, 1, 4, 4)
    rows = summarize(np.concatenate([dark, bright, half]), 0, 1)
    assert len(SUMMARY_COLUMNS) == rows.shape[1] == 3
    assert rows.tolist() == [[0, 0, 1], [1, 0, 0], [0.5, 0.5, 0.5]]


def test_top1_confidence():
    p = np.array([[0.1, 0.9], [0.6, 0.4]], dtype=np.float32)
    assert top1_confidence(p).round(6).tolist() == [0.9, 0.6]
