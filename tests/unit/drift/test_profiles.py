from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from slipway.drift import profiles
from slipway.errors import BadInput


def test_whylogs_needs_the_numpy_alias_without_slipway():
    # whylogs 1.6.4 on NumPy 2 fails on string columns unless np.unicode_ is restored
    code = "import numpy as np, pandas as pd, whylogs; whylogs.log(pd.DataFrame({'s': ['a']}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0 and "unicode_" in result.stderr


def test_profile_round_trip_and_merge():
    rng = np.random.default_rng(0)
    a = pd.DataFrame({"x": rng.normal(size=500), "c": ["a"] * 500})
    b = pd.DataFrame({"x": rng.normal(size=300), "c": ["b"] * 300})
    view = profiles.merge([profiles.profile_frame(a), profiles.profile_frame(b)])
    again = profiles.deserialize(profiles.serialize(view))
    assert profiles.row_count(again) == 800


def test_drift_scores_flag_a_shift():
    rng = np.random.default_rng(1)
    ref = profiles.profile_frame(
        pd.DataFrame({"x": rng.normal(size=2000), "y": rng.normal(size=2000)})
    )
    cur = profiles.profile_frame(
        pd.DataFrame({"x": rng.normal(3, 1, size=2000), "y": rng.normal(size=2000)})
    )
    scores = profiles.drift_scores(ref, cur)
    assert scores["x"]["drift_category"] == "DRIFT"
    assert scores["y"]["drift_category"] == "NO_DRIFT"


@pytest.mark.parametrize(
    "data, message", [(b"", "is empty"), (b"garbage", "not a whylogs profile")]
)
def test_bad_profiles(data, message):
    with pytest.raises(BadInput, match=message):
        profiles.deserialize(data, what="p.bin")
