"""validate-data for image models: per-image summaries and the tensor contract."""

import numpy as np
import pandas as pd
import pytest

from slipway.errors import BadInput
from slipway.validation.images import summary_frame, tensor_contract


def image_table(values: list[float], label: int = 3) -> pd.DataFrame:
    frame = pd.DataFrame([values], columns=[f"px_{i}" for i in range(len(values))])
    frame["digit"] = label
    return frame


def test_summaries_per_image_with_the_label_kept():
    frame = pd.concat([image_table([0, 0, 1, 1]), image_table([1, 1, 1, 1], 4)])
    out = summary_frame(frame, "digit", [1, 2, 2], "reference r")
    assert list(out.columns) == [
        "mean_intensity",
        "std_intensity",
        "dark_fraction",
        "min_intensity",
        "max_intensity",
        "digit",
    ]
    assert out["mean_intensity"].tolist() == [0.5, 1.0]
    assert out["dark_fraction"].tolist() == [0.5, 0.0]
    assert out["digit"].tolist() == [3, 4]


def test_the_contract_is_the_image_tensor_with_the_reference_range():
    frame = pd.concat([image_table([0, 0.2, 1, 1]), image_table([0.1, 0.9, 0.9, 0.9], 4)])
    contract = tensor_contract(
        summary_frame(frame, "digit", [1, 2, 2], "r"), "digit", [1, 2, 2], "input", {}
    )
    (spec,) = contract.inputs
    assert (spec.shape, spec.min, spec.max) == ([-1, 1, 2, 2], 0.0, 1.0)
    assert contract.outputs[1].shape == [-1, 2]  # two classes in the reference


def test_a_table_that_is_not_of_the_image_shape_is_refused():
    with pytest.raises(BadInput, match="3 pixel columns, but one image of shape"):
        summary_frame(image_table([0, 0, 1]), "digit", [1, 2, 2], "data d.csv")


def test_non_numeric_pixels_are_refused():
    frame = image_table([0, 0, 1, 1]).astype(object)
    frame.iloc[0, 1] = "dark"
    with pytest.raises(BadInput, match="pixels must be numbers"):
        summary_frame(frame, "digit", [1, 2, 2], "data d.csv")


def test_nan_pixels_reach_the_expectations():
    out = summary_frame(image_table([0, np.nan, 1, 1]), "digit", [1, 2, 2], "d")
    assert np.isnan(out["mean_intensity"][0])
