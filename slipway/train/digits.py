"""The example data: the 1,797 8x8 digit images that scikit-learn ships (no download)."""

from __future__ import annotations

DIGITS = "digits"
TARGET = "digit"


def digits_frame():
    """The 1,797 8x8 digit images as 64 float32 pixel columns (0..16) and an int64 `digit` label."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_digits

    bunch = load_digits()
    columns = [f"pixel_{i:02d}" for i in range(bunch.data.shape[1])]
    frame = pd.DataFrame(bunch.data.astype(np.float32), columns=columns)
    frame[TARGET] = bunch.target.astype(np.int64)
    return frame
