"""Shifted digits traffic for the drift demo: what production looks like when it changes.

`shifted_digits(n, kind)` gives `n` rows of the digits features (no label) for the gateway:
`invert` (16 - x: white on black), `noise` (Gaussian noise, clipped to 0..16), or `none`.
Give the champion's serving contract to keep every value inside its [min, max]: the gateway
refuses (422) rows outside the contract, so unclipped inverted images would never be served
or profiled.
"""

from __future__ import annotations

KINDS = ("invert", "noise", "none")
POOLS = ("all", "window", "fresh")
"""Which digit images to draw from: all, or one of two fixed disjoint halves, so that a
labelled window (`window`) and the fresh data a repair is measured on (`fresh`) never share
an image."""


def shifted_digits(
    n: int = 500,
    kind: str = "invert",
    seed: int = 0,
    noise_scale: float = 4.0,
    with_labels: bool = False,
    contract=None,
    pool: str = "all",
):
    """A DataFrame of `n` digit images (sampled with replacement), shifted by `kind`, clipped to
    `contract` (a slipway.core.contract.ServingContract) when given."""
    import numpy as np

    from slipway.errors import BadInput
    from slipway.train.digits import TARGET, digits_frame

    if kind not in KINDS:
        raise BadInput(f"shift {kind!r}: use one of {', '.join(KINDS)}")
    if n <= 0:
        raise BadInput(f"n={n}: ask for at least one row")
    if pool not in POOLS:
        raise BadInput(f"pool {pool!r}: use one of {', '.join(POOLS)}")
    rng = np.random.default_rng(seed)
    frame = digits_frame()
    images = np.arange(len(frame))
    if pool != "all":
        halves = np.array_split(np.random.default_rng(20261208).permutation(len(frame)), 2)
        images = halves[0] if pool == "window" else halves[1]
    sample = frame.iloc[images[rng.integers(0, len(images), size=n)]].reset_index(drop=True)
    features = [c for c in sample.columns if c != TARGET]
    x = sample[features].to_numpy(dtype=np.float32, copy=True)
    if kind == "invert":
        x = 16.0 - x
    elif kind == "noise":
        x = np.clip(x + rng.normal(0.0, noise_scale, size=x.shape), 0.0, 16.0)
    if contract is not None:
        bounds = {f.name: f for f in contract.features}
        for i, name in enumerate(features):
            spec = bounds.get(name)
            if spec is not None:
                low = -np.inf if spec.min is None else spec.min
                high = np.inf if spec.max is None else spec.max
                x[:, i] = np.clip(x[:, i], low, high)
    sample[features] = x.astype(np.float32)
    return sample if with_labels else sample[features]


def shifted_images(n: int = 400, kind: str = "invert", seed: int = 0, contract=None):
    """`n` digit images as the CNN takes them, float32 [n, 1, 32, 32] in [0, 1], shifted by
    `kind`: `invert` (1 - x), `noise` (Gaussian noise of std 0.3, clipped), or `none`; clipped
    to the contract tensor's range when given (the gateway refuses values outside it)."""
    import numpy as np

    from slipway.errors import BadInput
    from slipway.train.cnn import IMAGE_SIZE, digits_image_frame
    from slipway.train.digits import TARGET

    if kind not in KINDS:
        raise BadInput(f"shift {kind!r}: use one of {', '.join(KINDS)}")
    if n <= 0:
        raise BadInput(f"n={n}: ask for at least one image")
    rng = np.random.default_rng(seed)
    frame = digits_image_frame()
    rows = frame.drop(columns=[TARGET]).to_numpy(dtype=np.float32)
    x = rows[rng.integers(0, len(rows), size=n)].reshape(n, 1, IMAGE_SIZE, IMAGE_SIZE)
    if kind == "invert":
        x = 1.0 - x
    elif kind == "noise":
        x = np.clip(x + rng.normal(0.0, 0.3, size=x.shape), 0.0, 1.0)
    if contract is not None and not contract.is_tabular:
        spec = contract.tensors[0]
        x = np.clip(
            x,
            -np.inf if spec.min is None else spec.min,
            np.inf if spec.max is None else spec.max,
        )
    return np.ascontiguousarray(x, dtype=np.float32)
