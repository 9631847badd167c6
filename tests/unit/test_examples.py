"""examples/: the small CSV is real digits data in the shape `slipway train --dataset` expects."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from slipway.data import read_table
from slipway.train.digits import digits_frame

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_small_csv_is_a_stratified_sample_of_the_digits():
    small = read_table(str(EXAMPLES / "digits_small.csv"))
    digits = digits_frame()
    assert list(small.columns) == list(digits.columns)
    assert len(small) <= 50
    assert small["digit"].value_counts().min() >= 5
    features = digits.drop(columns="digit").to_numpy()
    for row in small.drop(columns="digit").to_numpy()[:10]:
        assert (np.abs(features - row).sum(axis=1) == 0).any(), (
            "a row that is not in the digits data"
        )


def test_the_readme_names_files_that_exist():
    text = (EXAMPLES / "README.md").read_text()
    assert "examples/digits_small.csv" in text
    assert (EXAMPLES / "digits_small.csv").is_file()
