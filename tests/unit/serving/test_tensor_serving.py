"""What the gateway profiles and warms with for a tensor contract (an image classifier)."""

import numpy as np

from slipway.core.contract import FeatureSpec, ServingContract, image_contract
from slipway.serving.models import Served, profile_columns, warm_input
from slipway.serving.service import contract_inputs

IMAGES = image_contract([1, 4, 4], low=0.0, high=1.0, classes=3)


def served(contract, classifier=True) -> Served:
    return Served(
        "m",
        "1",
        contract,
        "onnx-fp32",
        "onnxruntime",
        None,
        (),
        profile_columns(contract, classifier),
    )


def test_an_image_request_is_profiled_as_summaries_and_confidence():
    s = served(IMAGES)
    assert s.columns == ["mean_intensity", "std_intensity", "dark_fraction", "confidence"]
    x = np.stack([np.zeros((1, 4, 4)), np.ones((1, 4, 4))]).astype(np.float32)
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype=np.float32)
    rows = s.profile_rows(x, {"label": np.array([0, 2]), "probabilities": probabilities})
    assert rows.shape == (2, 4)
    assert rows[:, 0].tolist() == [0.0, 1.0] and rows[:, 2].tolist() == [1.0, 0.0]
    assert np.allclose(rows[:, 3], [0.7, 0.8])


def test_a_tabular_request_is_profiled_as_it_came():
    contract = ServingContract(features=[FeatureSpec(name="a", dtype="float32")])
    s = served(contract)
    x = np.array([[1.0], [2.0]], dtype=np.float32)
    assert s.columns == ["a"] and s.profile_rows(x, {}) is x


def test_warm_up_input_and_metadata_follow_the_contract():
    x = warm_input(IMAGES)
    assert x.shape == (1, 1, 4, 4) and x.dtype == np.float32 and np.all(x == 0.5)
    assert contract_inputs(IMAGES) == [
        {"name": "input", "datatype": "FP32", "shape": [-1, 1, 4, 4]}
    ]
