"""The scoring adapter: window listing, merging, the tests on real whylogs profiles, no-data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from slipway.core.drift import History, decide
from slipway.core.drift_policy import DriftPolicy, FeatureRule
from slipway.drift import profiles, scoring
from slipway.errors import BadInput
from slipway.store import open_store

T0 = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)


def frame(n, seed, shift=0.0, prediction_classes=10):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(0, 1, n).astype("float32") + shift,
            "b": rng.normal(5, 2, n).astype("float32"),
            "color": rng.choice(["red", "green", "blue"], n),
            "prediction": rng.integers(0, prediction_classes, n).astype("int64"),
        }
    )


def put(store, data, start, replica="r1", version="3", variant="champion"):
    key = scoring.profile_key("m", version, variant, start, replica)
    store.put_bytes(key, profiles.serialize(profiles.profile_frame(data)))
    return key


def test_keys_round_trip_their_window_start():
    key = scoring.profile_key("m", "3", "champion", T0 + timedelta(hours=1), "gw-1")
    assert key == "profiles/m/3/champion/20261127T010000Z-gw-1.bin"
    assert scoring.window_start_of(key) == T0 + timedelta(hours=1)
    assert scoring.window_start_of("profiles/m/3/champion/notes.txt") is None


def test_list_window_keeps_the_window_the_version_and_the_variants():
    store = open_store()
    small = frame(10, 0)
    inside = [
        put(store, small, T0 + timedelta(hours=h), replica=r) for h in (1, 5) for r in ("r1", "r2")
    ]
    put(store, small, T0 - timedelta(hours=1))  # before the window
    put(store, small, T0 + timedelta(hours=24))  # at the end: excluded
    put(store, small, T0 + timedelta(hours=2), version="2")  # another version
    canary = put(store, small, T0 + timedelta(hours=2), variant="canary")
    end = T0 + timedelta(hours=24)
    assert scoring.list_window(store, "m", "3", T0, end) == inside
    assert canary in scoring.list_window(store, "m", "3", T0, end, ("champion", "canary"))


def test_two_gateway_windows_merged_give_the_verdict_of_one_profile_of_all_the_data():
    # given production data split over two windows and two replicas, with a shift on `a`
    store = open_store()
    reference = profiles.profile_frame(frame(3000, 1))
    parts = [frame(700, 10 + i, shift=0.6) for i in range(4)]
    for i, part in enumerate(parts):
        put(store, part, T0 + timedelta(hours=i // 2), replica=f"r{i % 2}")
    policy = DriftPolicy(
        features={"a": FeatureRule(weight=3)},
        retrain={"important_weight": 3, "require_labels": False},  # the drift rules alone
    )
    history = History(now=T0 + timedelta(hours=3))
    # when the window is merged from the store, and separately one profile of all the data is made
    window = scoring.load_window(
        store, scoring.list_window(store, "m", "3", T0, T0 + timedelta(hours=3))
    )
    merged = scoring.score(reference, window.view, policy)
    whole = scoring.score(reference, profiles.profile_frame(pd.concat(parts)), policy)
    # then the rows, the drifted features and the decision agree
    assert window.rows == 2800 == whole.rows
    assert [f.name for f in merged.drifted] == [f.name for f in whole.drifted] == ["a"]
    for m, w in zip(merged.features, whole.features, strict=True):
        assert m.statistic == pytest.approx(w.statistic, abs=0.02)
    one, other = decide(merged, policy, history), decide(whole, policy, history)
    assert (one.action, one.drifted) == (other.action, other.drifted) == ("retrain", ["a"])


def test_empty_and_corrupt_profiles_are_skipped_and_a_window_of_them_is_no_data():
    store = open_store()
    empty = scoring.profile_key("m", "3", "champion", T0, "r1")
    store.put_bytes(empty, b"")
    bad = scoring.profile_key("m", "3", "champion", T0, "r2")
    store.put_bytes(bad, b"not a profile")
    window = scoring.load_window(store, [empty, bad])
    assert window.view is None and window.rows == 0
    assert set(window.skipped) == {empty, bad}
    assert "is empty" in window.skipped[empty]
    decision = decide(None, DriftPolicy(), History(now=T0), "no usable production profiles")
    assert decision.action == "no-data"


@pytest.mark.parametrize(
    "current, drifted",
    [
        (frame(800, 2), []),
        (frame(800, 2, shift=1.0), ["a"]),
        (frame(800, 2).assign(color="red"), ["color"]),
        (frame(800, 2, prediction_classes=2), ["prediction"]),
    ],
    ids=["same", "numeric-shift", "categorical-shift", "prediction-shift"],
)
def test_scores_flag_the_shifted_column_only(current, drifted):
    reference = profiles.profile_frame(frame(2000, 1))
    scores = scoring.score(reference, profiles.profile_frame(current), DriftPolicy())
    flagged = [f.name for f in scores.drifted] + (
        ["prediction"] if scores.prediction.drifted else []
    )
    assert flagged == drifted
    tests = {f.name: f.test for f in scores.features}
    assert tests == {"a": "ks", "b": "ks", "color": "chi-square"}
    assert scores.prediction.test == "chi-square"


def test_hellinger_where_configured_and_missing_columns():
    reference = profiles.profile_frame(frame(2000, 1))
    current = profiles.profile_frame(frame(800, 2, shift=2.0).drop(columns=["b"]))
    policy = DriftPolicy(features={"a": FeatureRule(test="hellinger")})
    scores = scoring.score(reference, current, policy)
    a = scores.features[0]
    assert (a.name, a.test, a.drifted) == ("a", "hellinger", True)
    assert a.pvalue < 1e-10  # the KS test's p-value on the same sketches
    assert scores.missing == ["b"]


def test_chi_square_of_identical_and_disjoint_categories():
    same = profiles.profile_frame(pd.DataFrame({"c": ["x", "y"] * 200}))
    other = profiles.profile_frame(pd.DataFrame({"c": ["z"] * 400}))
    v_same, p_same = profiles.chi_square(same.get_column("c"), same.get_column("c"))
    v_other, p_other = profiles.chi_square(same.get_column("c"), other.get_column("c"))
    assert (v_same, p_same) == (pytest.approx(0.0), pytest.approx(1.0))
    assert v_other == pytest.approx(1.0, abs=0.001) and p_other < 1e-10  # bias-corrected V


def write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: p / "missing.csv", "no such file"),
        (lambda p: p / "missing.bin", "no such profile file"),
        (lambda p: write(p / "empty.bin", b""), "is empty"),
        (lambda p: write(p / "h.csv", b"a,b\n"), "has no rows"),
        (lambda p: write(p / "x.txt", b"a"), "unsupported data file type"),
    ],
)
def test_bad_inputs_are_clear(tmp_path, setup, message):
    with pytest.raises(BadInput, match=message):
        scoring.load_profile_or_table(setup(tmp_path))


def test_shifted_images_stay_in_the_contract_range():
    from slipway.core.contract import image_contract
    from slipway.drift.shifted import shifted_images

    contract = image_contract([1, 32, 32], low=0.0, high=1.0)
    for kind in ("invert", "noise", "none"):
        x = shifted_images(20, kind=kind, contract=contract)
        assert x.shape == (20, 1, 32, 32) and x.min() >= 0 and x.max() <= 1
    plain, inverted = shifted_images(5, "none"), shifted_images(5, "invert")
    assert np.allclose(plain + inverted, 1.0)


def _image_window(confidence_mean: float, seed: int, rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "mean_intensity": rng.normal(0.2, 0.02, rows),
            "prediction": rng.integers(0, 10, rows),
            "confidence": np.clip(rng.normal(confidence_mean, 0.03, rows), 0, 1),
        }
    )


@pytest.mark.parametrize(
    "current_mean, prediction_drift", [(0.6, True), (0.95, False), (0.99, False)]
)
def test_a_confidence_drop_is_prediction_drift(current_mean, prediction_drift):
    reference = profiles.profile_frame(_image_window(0.95, seed=1))
    current = profiles.profile_frame(_image_window(current_mean, seed=2))
    scores = scoring.score(reference, current, DriftPolicy())
    assert [f.name for f in scores.features] == ["mean_intensity"]  # confidence is no feature
    drifted = scores.prediction is not None and scores.prediction.drifted
    assert drifted is prediction_drift
    if prediction_drift:
        assert scores.prediction.name == "confidence"
        now = datetime(2026, 1, 2, tzinfo=UTC)
        decision = decide(scores, DriftPolicy(), History(now=now))
        # no labelled window: the example policy alerts rather than retraining blind
        assert decision.action == "alert-only"
        assert any("prediction drift: confidence" in r for r in decision.reasons)


def test_labelled_at_reads_the_time_column_else_the_file_time(tmp_path):
    import os
    from datetime import UTC, datetime

    import pandas as pd

    from slipway.drift.scoring import labelled_at
    from slipway.errors import BadInput

    frame = pd.DataFrame({"timestamp": ["2026-12-01T10:00:00Z", "2026-12-03T08:30:00Z"]})
    assert labelled_at("store:x.parquet", frame, "timestamp") == datetime(
        2026, 12, 3, 8, 30, tzinfo=UTC
    )
    path = tmp_path / "w.csv"
    path.write_text("a\n1\n")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    assert labelled_at(str(path), pd.DataFrame({"a": [1]}), "timestamp") == datetime.fromtimestamp(
        1_700_000_000, tz=UTC
    )
    assert labelled_at("store:w.parquet", pd.DataFrame({"a": [1]}), "timestamp") is None
    with pytest.raises(BadInput, match="column 'timestamp' is not a date/time"):
        labelled_at("w.csv", pd.DataFrame({"timestamp": ["soon"]}), "timestamp")
