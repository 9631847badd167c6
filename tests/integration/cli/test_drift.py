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


IMPORTANT = (
    "features:\n  pixel_21: {weight: 3}\n  pixel_43: {weight: 3}\nretrain: {important_weight: 3}\n"
)


@pytest.fixture(scope="module")
def important(tmp_path_factory):
    """A policy that makes pixel_21 and pixel_43 important (one drifted -> dataset drift)."""
    path = tmp_path_factory.mktemp("drift-policy") / "important.yaml"
    path.write_text(IMPORTANT)
    return str(path)


def test_no_drift_exits_0(halves, capsys):
    assert main(["drift", str(halves / "reference.csv"), str(halves / "current.parquet")]) == 0
    assert "no drift" in capsys.readouterr().out


def test_flags_exactly_the_shifted_features(halves, important, capsys):
    args = [str(halves / "reference.csv"), str(halves / "shifted.csv"), "--policy", important]
    assert main(["drift", *args, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["drift"], report["verdict"]) == (True, "drift")
    assert "important features drifted: pixel_21" in report["reasons"][0]
    assert sorted(f["name"] for f in report["drifted"]) == ["pixel_21", "pixel_43"]
    for f in report["drifted"]:
        assert f["test"] == "ks" and f["statistic"] >= f["threshold"] == 0.1


def test_text_names_test_statistic_and_threshold(halves, important, capsys):
    args = [str(halves / "reference.csv"), str(halves / "shifted.csv"), "--policy", important]
    assert main(["drift", *args]) == 1
    out = capsys.readouterr().out
    assert "(61 tests, Benjamini-Hochberg at alpha 0.05)" in out.splitlines()[0]
    lines = [ln for ln in out.splitlines() if ln.strip().startswith("drift ")]
    assert len(lines) == 2
    assert all(
        " ks statistic " in ln and ">= threshold 0.1" in ln and "(adjusted " in ln for ln in lines
    )


def test_drift_below_the_policy_rules_is_not_dataset_drift(halves, capsys):
    # given 2 of 64 columns shifted and the default policy (no important column, share 0.3)
    code = main(["drift", str(halves / "reference.csv"), str(halves / "shifted.csv"), "--json"])
    report = json.loads(capsys.readouterr().out)
    # then both columns are named, but the dataset verdict is the policy's, not "any column"
    assert (code, report["verdict"], report["drift"]) == (0, "no drift", False)
    assert sorted(f["name"] for f in report["drifted"]) == ["pixel_21", "pixel_43"]
    assert report["reasons"][0].startswith("drift below the retrain policy: pixel_21")


def test_profiles_and_a_policy_file(halves, tmp_path, capsys):
    from slipway.data import read_table

    for name in ("reference.csv", "shifted.csv"):
        view = profiles.profile_frame(read_table(halves / name))
        (tmp_path / f"{name}.bin").write_bytes(profiles.serialize(view))
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        IMPORTANT.replace("{weight: 3}", "{weight: 3, test: hellinger, threshold: 0.2}", 1)
    )
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


def _current(halves):
    import pandas as pd

    return pd.read_parquet(halves / "current.parquet")


def test_an_all_null_column_is_unscorable_and_exits_1(halves, tmp_path, capsys):
    _current(halves).assign(pixel_30=float("nan")).to_parquet(tmp_path / "c.parquet")
    assert main(["drift", str(halves / "reference.csv"), str(tmp_path / "c.parquet")]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(": alert")
    assert "  unscorable  pixel_30: all 899 values in the window are null" in out
    assert "columns that could not be scored: pixel_30" in out


def test_numbers_arriving_as_strings_exit_1(halves, tmp_path, capsys):
    current = _current(halves)
    current["pixel_30"] = current["pixel_30"].map(lambda v: f"{v:g}")
    current.to_parquet(tmp_path / "c.parquet")
    args = [str(halves / "reference.csv"), str(tmp_path / "c.parquet"), "--json"]
    assert main(["drift", *args]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "alert" and report["drift"] is False
    (column,) = report["unscorable"]
    assert column["name"] == "pixel_30"
    assert column["unscorable"] == (
        "its type changed: the reference holds numbers, the window 899 strings"
    )


def test_fewer_rows_than_min_rows_is_no_data_exit_3(halves, tmp_path, capsys):
    _current(halves).head(20).to_csv(tmp_path / "c.csv", index=False)
    assert main(["drift", str(halves / "reference.csv"), str(tmp_path / "c.csv")]) == 3
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("20 current rows: no-data")
    assert "only 20 production rows in the window (policy min_rows 50)" in out


def test_twenty_percent_new_nulls_in_an_important_column_is_drift(
    halves, important, tmp_path, capsys
):
    current = _current(halves)
    current.loc[current.sample(frac=0.2, random_state=1).index, "pixel_21"] = float("nan")
    current.to_csv(tmp_path / "c.csv", index=False)
    args = [str(halves / "reference.csv"), str(tmp_path / "c.csv"), "--policy", important]
    assert main(["drift", *args]) == 1
    out = capsys.readouterr().out
    assert "  drift  pixel_21: nulls 0.0% -> 20.0% (|change| 0.200 >= 0.05" in out


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["drift", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit 0 no drift, 1 drift or a column that is missing or cannot be scored" in text
    assert "3 too few rows to judge (fewer than the policy's min_rows" in text
