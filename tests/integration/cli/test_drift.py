"""`slipway drift REFERENCE CURRENT`: flags exactly the shifted features; exit 0 / 1 / 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slipway.cli import main
from slipway.drift import profiles
from slipway.drift.shifted import shifted_digits
from slipway.train.digits import digits_frame


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    """Two random halves of the digits features (the same distribution) as CSV files."""
    frame = (
        digits_frame()
        .drop(columns=["digit"])
        .sample(frac=1.0, random_state=0)
        .reset_index(drop=True)
    )
    folder = tmp_path_factory.mktemp("drift-cli")
    reference, current = (
        frame.iloc[: len(frame) // 2],
        frame.iloc[len(frame) // 2 :].reset_index(drop=True),
    )
    reference.to_csv(folder / "reference.csv", index=False)
    current.to_parquet(folder / "current.parquet", index=False)
    shifted = current.copy()
    shifted["pixel_21"] = np.clip(shifted["pixel_21"] + 5, 0, 16)
    shifted["pixel_43"] = 16 - shifted["pixel_43"]
    shifted.to_csv(folder / "shifted.csv", index=False)
    return folder


def test_no_drift_exits_0(halves, capsys):
    assert main(["drift", str(halves / "reference.csv"), str(halves / "current.parquet")]) == 0
    assert "no drift" in capsys.readouterr().out


def test_flags_exactly_the_shifted_features(halves, capsys):
    assert (
        main(["drift", str(halves / "reference.csv"), str(halves / "shifted.csv"), "--json"]) == 1
    )
    report = json.loads(capsys.readouterr().out)
    assert report["drift"] is True
    assert sorted(f["name"] for f in report["drifted"]) == ["pixel_21", "pixel_43"]
    for f in report["drifted"]:
        assert f["test"] == "ks" and f["statistic"] >= f["threshold"] == 0.1


def test_text_names_test_statistic_and_threshold(halves, capsys):
    assert main(["drift", str(halves / "reference.csv"), str(halves / "shifted.csv")]) == 1
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("drift")]
    assert len(lines) == 2
    assert all(" ks statistic " in ln and ">= threshold 0.1" in ln for ln in lines)


def test_profiles_and_a_policy_file(halves, tmp_path, capsys):
    from slipway.data import read_table

    for name in ("reference.csv", "shifted.csv"):
        view = profiles.profile_frame(read_table(halves / name))
        (tmp_path / f"{name}.bin").write_bytes(profiles.serialize(view))
    policy = tmp_path / "policy.yaml"
    policy.write_text("features:\n  pixel_21: {test: hellinger, threshold: 0.2}\n")
    code = main(
        [
            "drift",
            str(tmp_path / "reference.csv.bin"),
            str(tmp_path / "shifted.csv.bin"),
            "--policy",
            str(policy),
            "--json",
        ]
    )
    drifted = {f["name"]: f for f in json.loads(capsys.readouterr().out)["drifted"]}
    assert code == 1 and set(drifted) == {"pixel_21", "pixel_43"}
    assert drifted["pixel_21"]["test"] == "hellinger"


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope.csv", "{h}/shifted.csv"], "nope.csv: no such file"),
        (["{h}/reference.csv", "nope.bin"], "nope.bin: no such profile file"),
        (
            ["{h}/reference.csv", "{h}/shifted.csv", "--policy", "nope.yaml"],
            "drift policy nope.yaml: no such file",
        ),
    ],
)
def test_bad_input_exits_2(halves, capsys, args, message):
    assert main(["drift", *[a.format(h=halves) for a in args]]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


@pytest.mark.parametrize("kind, at_least", [("invert", 40), ("noise", 20)])
def test_shifted_digits_traffic_drifts(halves, tmp_path, capsys, kind, at_least):
    shifted_digits(400, kind=kind, seed=1).to_csv(tmp_path / "t.csv", index=False)
    assert main(["drift", str(halves / "reference.csv"), str(tmp_path / "t.csv"), "--json"]) == 1
    assert len(json.loads(capsys.readouterr().out)["drifted"]) >= at_least


def test_unshifted_traffic_does_not_drift(halves, tmp_path, capsys):
    shifted_digits(400, kind="none", seed=1).to_csv(tmp_path / "t.csv", index=False)
    assert main(["drift", str(halves / "reference.csv"), str(tmp_path / "t.csv")]) == 0


def test_shifted_digits_stay_inside_a_contract():
    from slipway.core.contract import FeatureSpec, ServingContract

    specs = [
        FeatureSpec(name=f"pixel_{i:02d}", dtype="float32", min=-1.0, max=1.0 + i % 2)
        for i in range(64)
    ]
    frame = shifted_digits(200, kind="invert", contract=ServingContract(features=specs))
    assert (
        frame.min().min() >= -1.0
        and frame["pixel_00"].max() <= 1.0
        and frame["pixel_01"].max() <= 2.0
    )
    assert frame["pixel_01"].max() == 2.0  # inverted, then clipped: still shifted


@pytest.mark.parametrize(
    "kwargs, message", [({"kind": "rotate"}, "shift 'rotate'"), ({"n": 0}, "n=0")]
)
def test_shifted_digits_refuses_bad_arguments(kwargs, message):
    from slipway.errors import BadInput

    with pytest.raises(BadInput, match=message):
        shifted_digits(**kwargs)


@pytest.mark.parametrize(
    "args", [["monitor", "m", "--window", "soon"], ["monitor", "m", "--policy", "nope.yaml"]]
)
def test_monitor_bad_input_exits_2_before_any_flow(args, capsys):
    assert main(args) == 2
    assert capsys.readouterr().err.startswith("error: ")
