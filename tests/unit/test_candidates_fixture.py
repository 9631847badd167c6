"""The shared candidate fixture loads with slipway's runtimes and agrees with the source model."""

from __future__ import annotations

import pytest

from slipway.core.manifest import Manifest
from slipway.runtimes import load_candidate

pytestmark = pytest.mark.slow


def test_candidates_load_and_predict(candidate_dir, trained):
    import numpy as np

    from slipway.data import read_table

    manifest = Manifest.model_validate_json((candidate_dir / "manifest.json").read_text())
    frame = read_table(trained.data_uris["eval"])
    x = frame[manifest.feature_names].to_numpy(dtype=np.float32)
    for candidate in manifest.accepted():
        out = load_candidate(candidate_dir, candidate).predict(x)
        assert out["probabilities"].shape == (len(frame), 10)
        assert (out["label"] == frame["digit"].to_numpy()).mean() > 0.85
