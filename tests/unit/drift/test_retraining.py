"""The retraining set: reference rows then the labelled window, in the reference's schema."""

from __future__ import annotations

import pandas as pd
import pytest

from slipway.drift.retraining import combine, load_reference
from slipway.errors import BadInput

REF = pd.DataFrame(
    {"a": pd.Series([1.0, 2.0], dtype="float32"), "y": pd.Series([0, 1], dtype="int64")}
)


def test_combine_keeps_the_reference_schema_and_order():
    window = pd.DataFrame({"y": [1], "extra": ["x"], "a": [3]})
    out = combine(REF, window, "y")
    assert out.columns.tolist() == ["a", "y"] and len(out) == 3
    assert out.dtypes.to_dict() == REF.dtypes.to_dict()
    assert out["a"].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    "window, message",
    [
        (pd.DataFrame({"a": [1.0]}), "labelled window data has no label column 'y'"),
        (pd.DataFrame({"y": [1]}), "lacks reference columns a"),
    ],
)
def test_combine_refuses(window, message):
    with pytest.raises(BadInput, match=message):
        combine(REF, window, "y")


def test_load_reference_digits_and_a_missing_file(tmp_path):
    assert len(load_reference("digits")) == 1797
    with pytest.raises(BadInput, match="no such file"):
        load_reference(str(tmp_path / "ref.parquet"))
