"""Shifted digits for the demo and the loop bench: kinds, contract clipping, disjoint pools."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from slipway.drift.shifted import shifted_digits
from slipway.errors import BadInput


def contract():
    """What shifted_digits reads of a ServingContract: each feature's name, min and max."""
    features = [SimpleNamespace(name=f"pixel_{i:02d}", min=0.0, max=8.0) for i in range(64)]
    return SimpleNamespace(features=features)


@pytest.mark.parametrize("kind", ["none", "invert", "noise"])
def test_every_kind_is_clipped_to_the_contract(kind):
    frame = shifted_digits(50, kind, seed=1, contract=contract())
    assert frame.shape == (50, 64)
    assert frame.to_numpy().max() <= 8.0 and frame.to_numpy().min() >= 0.0


def test_window_and_fresh_pools_never_share_an_image():
    window = shifted_digits(800, "none", seed=1, pool="window")
    fresh = shifted_digits(800, "none", seed=2, pool="fresh")
    rows = {tuple(r) for r in window.to_numpy().tolist()}
    assert not rows & {tuple(r) for r in fresh.to_numpy().tolist()}
    labelled = shifted_digits(10, "invert", seed=1, pool="fresh", with_labels=True)
    assert "digit" in labelled.columns
    with pytest.raises(BadInput, match="pool 'later'"):
        shifted_digits(10, pool="later")
