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


def _window(n=100, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.random(n).astype("float32"), "y": rng.integers(0, 4, n)})


def test_split_window_holds_out_the_share_and_never_trains_on_it():
    from slipway.drift.retraining import split_window

    window = _window()
    window["row"] = range(len(window))
    train, held = split_window(window, "y", holdout=0.3, seed=1)
    assert (len(train), len(held)) == (70, 30)
    assert not set(train["row"]) & set(held["row"])
    assert set(held["y"]) == set(window["y"])  # stratified: every class in the held-out part


def test_split_window_refuses_a_window_too_small_to_hold_out():
    from slipway.drift.retraining import split_window

    with pytest.raises(BadInput, match="too small to hold 50% out"):
        split_window(_window(1), "y", holdout=0.5)


@pytest.mark.parametrize("share, expected", [(0.5, 400), (0.2, 100), (0.01, 70)])
def test_recency_mix_gives_the_window_its_share(share, expected):
    from slipway.drift.retraining import recency_mix

    reference = _window(400, seed=2)
    window = _window(70, seed=3)
    mixed = recency_mix(reference, window, share, seed=0)
    assert len(mixed) == 400 + expected
    assert mixed.iloc[:400].equals(reference)
    # every window row is in (at least once), the rest resampled from the window only
    tail = mixed.iloc[400:]
    assert tail.iloc[:70].reset_index(drop=True).equals(window)
    assert set(map(tuple, tail.values.tolist())) <= set(map(tuple, window.values.tolist()))


def test_training_set_counts_and_schema():
    from slipway.drift.retraining import training_set

    reference = pd.DataFrame(
        {"a": pd.Series(range(200), dtype="float32"), "y": pd.Series([0, 1] * 100, dtype="int64")}
    )
    labelled = pd.DataFrame({"y": [0, 1] * 50, "a": [9.0] * 100, "timestamp": ["x"] * 100})
    frame, held, rows = training_set(reference, labelled, "y", share=0.5, holdout=0.2)
    assert rows == {
        "reference": 200,
        "labelled": 100,
        "labelled_train": 80,
        "held_out": 20,
        "total": 400,
    }
    assert (
        frame.columns.tolist() == ["a", "y"]
        and frame.dtypes.to_dict() == reference.dtypes.to_dict()
    )
    assert (frame["a"].iloc[200:] == 9.0).all() and len(held) == 20
