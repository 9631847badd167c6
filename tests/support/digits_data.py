"""The digits example's reference and eval splits on disk, and corrupted variants of eval."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from slipway.train.digits import digits_frame
from slipway.train.params import TrainParams
from slipway.train.stage import split


def write_digits(folder: Path, pixels: int = 64) -> dict[str, Path]:
    """reference/eval Parquet files; `pixels` < 64 keeps the first pixel columns only (faster
    tests)."""
    splits = split(digits_frame(), TrainParams())
    keep = [f"pixel_{i:02d}" for i in range(pixels)] + ["digit"]
    paths = {"reference": folder / "reference.parquet", "eval": folder / "eval.parquet"}
    splits.reference[keep].to_parquet(paths["reference"], index=False)
    splits.eval[keep].to_parquet(paths["eval"], index=False)
    return paths


def corrupt(frame, variant: str):
    """(corrupted frame, offending column, expectation that must name it)."""
    bad = frame.copy()
    if variant == "missing-column":
        return bad.drop(columns=["pixel_10"]), "pixel_10", "expect_table_columns_to_match_set"
    if variant == "extra-column":
        bad["sensor_temp"] = 1.0
        return bad, "sensor_temp", "expect_table_columns_to_match_set"
    if variant == "strings-in-numeric":
        bad["pixel_20"] = bad["pixel_20"].astype(object)
        bad.loc[bad.index[5], "pixel_20"] = "dark"
        return bad, "pixel_20", "expect_column_values_to_be_in_type_list"
    if variant == "all-null":
        bad["pixel_30"] = np.nan
        return bad, "pixel_30", "expect_column_values_to_not_be_null"
    if variant == "nan":
        bad.loc[bad.index[7], "pixel_13"] = np.nan
        return bad, "pixel_13", "expect_column_values_to_not_be_null"
    if variant == "infinity":
        bad.loc[bad.index[9], "pixel_14"] = np.inf
        return bad, "pixel_14", "expect_column_values_to_be_between"
    if variant == "label-out-of-set":
        bad.loc[bad.index[1], "digit"] = 11
        return bad, "digit", "expect_column_values_to_be_in_set"
    raise ValueError(variant)


VARIANTS = [
    "missing-column",
    "extra-column",
    "strings-in-numeric",
    "all-null",
    "nan",
    "infinity",
    "label-out-of-set",
]
