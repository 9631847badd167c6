"""validate-data for image models: expectations on per-image summaries, a tensor contract.

A table of flattened images (one row per image, its pixels row-major, plus the label) would
give Great Expectations a thousand pixel columns to check one by one. Each image is summarised
instead (core.image_summary: mean and std intensity, dark fraction, plus its min and max
intensity) and the suite is derived from, and run on, those summaries. The serving contract is
the image tensor `[-1, *input_shape]` FP32 with the reference's intensity range.
"""

from __future__ import annotations

import numpy as np

from slipway.core.contract import ServingContract, image_contract
from slipway.core.image_summary import SUMMARY_COLUMNS, summarize
from slipway.errors import BadInput

RANGE_COLUMNS = ["min_intensity", "max_intensity"]


def summary_frame(frame, target_column: str | None, input_shape: list[int], what: str):
    """A table of flattened images -> one row of summaries per image (the label kept)."""
    import pandas as pd

    pixels = frame.drop(columns=[target_column], errors="ignore") if target_column else frame
    size = int(np.prod(input_shape))
    if pixels.shape[1] != size:
        raise BadInput(
            f"{what}: {pixels.shape[1]} pixel columns, but one image of shape {input_shape} has "
            f"{size}: give the image table the model was trained on"
        )
    try:
        x = pixels.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BadInput(
            f"{what}: pixels must be numbers ({str(exc).splitlines()[0][:120]})"
        ) from None
    if len(x) and np.isfinite(x).all():
        stats = summarize(x, float(x.min()), float(x.max()))
    else:  # NaN/inf pixels: the summaries carry them, and the expectations refuse them
        stats = np.stack([x.mean(axis=1), x.std(axis=1), np.zeros(len(x))], axis=1)
    out = pd.DataFrame(stats, columns=SUMMARY_COLUMNS)
    out["min_intensity"] = x.min(axis=1) if len(x) else []
    out["max_intensity"] = x.max(axis=1) if len(x) else []
    if target_column and target_column in frame.columns:
        out[target_column] = frame[target_column].to_numpy()
    return out


def tensor_contract(
    summaries, target_column: str | None, input_shape: list[int], input_name: str, source: dict
) -> ServingContract:
    """The image tensor contract from the reference's summaries (its intensity range)."""
    low = float(summaries["min_intensity"].min())
    high = float(summaries["max_intensity"].max())
    classes = (
        int(summaries[target_column].nunique())
        if target_column and target_column in summaries.columns
        else None
    )
    return image_contract(
        list(input_shape), name=input_name, low=low, high=high, classes=classes, source=source
    )
