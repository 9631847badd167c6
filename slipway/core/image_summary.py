"""Per-image summaries: what validate-data checks and the drift monitor profiles for images (pure).

An image model's input is a tensor such as `[N, 1, 32, 32]`; profiling every pixel as a column
would be 1024 columns of noise. Each image is summarised instead by a few numbers that move
when the images do (a darker camera, inverted colours, sensor noise): its mean and standard
deviation of intensity and the fraction of dark pixels. They are scored like tabular columns.
"""

from __future__ import annotations

import numpy as np

SUMMARY_COLUMNS = ["mean_intensity", "std_intensity", "dark_fraction"]
DARK_THRESHOLD = 0.1
"""A pixel at or below this fraction of the contract's intensity range counts as dark."""


def summarize(x: np.ndarray, low: float | None = 0.0, high: float | None = 1.0) -> np.ndarray:
    """Images `[N, ...]` -> float64 `[N, 3]`: mean, std and dark fraction per image.

    `low`/`high` is the intensity range (the contract tensor's range); a pixel is dark when
    it is within `DARK_THRESHOLD` of the range above `low`."""
    x = np.asarray(x)
    flat = x.reshape(x.shape[0], -1).astype(np.float64, copy=False)
    low = 0.0 if low is None else float(low)
    high = (low + 1.0) if high is None or high <= low else float(high)
    dark = flat <= low + DARK_THRESHOLD * (high - low)
    return np.stack([flat.mean(axis=1), flat.std(axis=1), dark.mean(axis=1)], axis=1)
