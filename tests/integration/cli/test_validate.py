"""`slipway validate`: exit 0 on the clean digits eval data, 1 naming column and expectation, 2 on
bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from slipway.cli import main
from tests.support.digits_data import VARIANTS, corrupt, write_digits


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return write_digits(tmp_path_factory.mktemp("digits-cli"))


def test_clean_example_passes(digits, tmp_path, capsys):
    contract, suite = tmp_path / "contract.json", tmp_path / "suite.yaml"
    code = main(
        [
            "validate",
            str(digits["eval"]),
            "--reference",
            str(digits["reference"]),
            "--target-column",
            "digit",
            "--contract-out",
            str(contract),
            "--save-suite",
            str(suite),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert code == 0 and out["success"] is True
    assert "Calculating Metrics" not in captured.err  # GX progress bars are off
    assert out["report"]["critical_failures"] == 0
    assert out["report_uri"].endswith("report.json") and out["contract_uri"].endswith(
        "serving_contract.json"
    )
    assert len(json.loads(contract.read_text())["features"]) == 64
    assert suite.exists()


@pytest.mark.parametrize("variant", VARIANTS)
def test_corrupted_variant_exits_1_naming_column_and_expectation(digits, tmp_path, capsys, variant):
    frame, column, expectation = corrupt(pd.read_parquet(digits["eval"]), variant)
    path = tmp_path / f"{variant}.csv"
    frame.to_csv(path, index=False)
    assert main(["validate", str(path), "--reference", str(digits["reference"])]) == 1
    err = capsys.readouterr().err
    assert f"FAIL {column}: {expectation} [critical]" in err
    assert "Traceback" not in err


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing", "error: data .*nope.csv: no such file"),
        ("empty", "error: data .*empty.csv: the file is empty"),
        ("unreadable", "error: data .*junk.parquet: cannot read as parquet"),
        ("duplicated", "error: data .*dup.csv: duplicated column names pixel_00"),
        (
            "unknown-expectation",
            "error: .*suite.yaml: expectations\\[0\\] expect_pixels_to_sparkle: unknown "
            "expectation type",
        ),
        (
            "bad-kwargs",
            "error: .*suite.yaml: expectations\\[0\\] expect_column_values_to_be_between: bad "
            "kwargs",
        ),
        ("zero-row-reference", "error: reference .*: has zero rows"),
        ("no-suite-source", "error: validate: give --reference REF"),
        ("contract-without-reference", "error: --contract-out needs --reference"),
    ],
)
def test_bad_input_exits_2_with_one_line(digits, tmp_path, capsys, case, message):
    import re

    data, ref = str(digits["eval"]), str(digits["reference"])
    args = ["validate", data, "--reference", ref]
    if case == "missing":
        args[1] = str(tmp_path / "nope.csv")
    elif case == "empty":
        args[1] = _write(tmp_path, "empty.csv", b"")
    elif case == "unreadable":
        args[1] = _write(tmp_path, "junk.parquet", b"not parquet at all")
    elif case == "duplicated":
        args[1] = _write(tmp_path, "dup.csv", b"pixel_00,pixel_00\n1,2\n")
    elif case == "unknown-expectation":
        suite = _write(
            tmp_path,
            "suite.yaml",
            b"name: s\nexpectations:\n  - type: expect_pixels_to_sparkle\n    kwargs: {column: "
            b"pixel_00}\n",
        )
        args = ["validate", data, "--suite", suite]
    elif case == "bad-kwargs":
        suite = _write(
            tmp_path,
            "suite.yaml",
            b"name: s\nexpectations:\n  - type: expect_column_values_to_be_between\n    kwargs: "
            b"{column: pixel_00, max_value: lots}\n",
        )
        args = ["validate", data, "--suite", suite]
    elif case == "zero-row-reference":
        empty_ref = tmp_path / "empty_ref.parquet"
        pd.read_parquet(digits["reference"]).iloc[:0].to_parquet(empty_ref, index=False)
        args[3] = str(empty_ref)
    elif case == "no-suite-source":
        args = ["validate", data]
    elif case == "contract-without-reference":
        args = ["validate", data, "--suite", "s.yaml", "--contract-out", str(tmp_path / "c.json")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert re.search(message, err), err
    assert "Traceback" not in err and len(err.splitlines()) == 1
