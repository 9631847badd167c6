"""The GX runner on small frames: pass, each kind of corruption, suite YAML and loader errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slipway.core.derivation import derive_suite
from slipway.core.validation import ExpectationSpec, SuiteSpec
from slipway.errors import BadInput
from slipway.validation.gx_runner import run_suite
from slipway.validation.loading import load_frame
from slipway.validation.suites import dump_suite, load_suite, parse_suite, save_suite


def reference() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.uniform(0, 10, 200).astype(np.float32),
            "y": rng.normal(0, 1, 200),
            "kind": rng.choice(["a", "b", "c"], 200),
            "label": rng.integers(0, 3, 200),
        }
    )


@pytest.fixture(scope="module")
def suite() -> SuiteSpec:
    return derive_suite(reference(), name="small")


def test_reference_passes_its_own_suite(suite):
    report = run_suite(reference(), suite, "ref")
    assert report.success and report.critical_failures == 0 and report.warnings == 0
    assert report.evaluated == len(suite.expectations) == report.passed
    assert report.engine.startswith("great_expectations 1.")
    assert [o.expectation_type for o in report.outcomes] == [e.type for e in suite.expectations]


def corrupted(variant: str):
    frame = reference()
    if variant == "missing-column":
        return frame.drop(columns=["y"]), "y", "expect_table_columns_to_match_set"
    if variant == "extra-column":
        frame["extra"] = 1
        return frame, "extra", "expect_table_columns_to_match_set"
    if variant == "strings-in-numeric":
        frame["x"] = frame["x"].astype(object)
        frame.loc[3, "x"] = "n/a"
        return frame, "x", "expect_column_values_to_be_in_type_list"
    if variant == "all-null":
        frame["y"] = np.nan
        return frame, "y", "expect_column_values_to_not_be_null"
    if variant == "nan":
        frame.loc[4, "y"] = np.nan
        return frame, "y", "expect_column_values_to_not_be_null"
    if variant == "infinity":
        frame.loc[5, "y"] = -np.inf
        return frame, "y", "expect_column_values_to_be_between"
    if variant == "unknown-category":
        frame.loc[6, "kind"] = "zzz"
        return frame, "kind", "expect_column_values_to_be_in_set"
    if variant == "zero-rows":
        return frame.iloc[:0], "(table)", "expect_table_row_count_to_be_between"
    raise ValueError(variant)


VARIANTS = [
    "missing-column",
    "extra-column",
    "strings-in-numeric",
    "all-null",
    "nan",
    "infinity",
    "unknown-category",
    "zero-rows",
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_corruption_fails_naming_column_and_expectation(suite, variant):
    frame, column, expectation = corrupted(variant)
    report = run_suite(frame, suite, f"{variant}.csv")
    assert not report.success
    lines = report.failure_lines()
    assert any(line.startswith(f"{column}: {expectation} [critical]") for line in lines), lines
    assert all("Traceback" not in line for line in lines)


def test_warning_only_failure_passes_the_gate():
    suite = SuiteSpec(
        name="w",
        expectations=[
            ExpectationSpec(
                type="expect_column_values_to_be_between",
                kwargs={"column": "x", "max_value": 1},
                severity="warning",
            )
        ],
    )
    report = run_suite(reference(), suite, "ref")
    assert report.success and report.warnings == 1


def test_duplicated_columns_in_a_frame_are_bad_input(suite):
    frame = pd.DataFrame([[1.0, 2.0]], columns=["x", "x"])
    with pytest.raises(BadInput, match="duplicated column names x"):
        run_suite(frame, suite, "dup")


def test_suite_yaml_round_trip(tmp_path, suite):
    path = save_suite(suite, tmp_path / "suite.yaml")
    assert load_suite(path) == suite
    assert "severity: warning" in path.read_text()


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "name: s\nexpectations:\n  - type: expect_column_to_be_magic\n"
            "    kwargs: {column: x}\n",
            r"expectations\[0\] expect_column_to_be_magic: unknown expectation type",
        ),
        (
            "name: s\nexpectations:\n  - type: expect_column_values_to_be_between\n    kwargs: "
            "{column: x, min_value: low}\n",
            r"expectations\[0\] expect_column_values_to_be_between: bad kwargs \(min_value",
        ),
        (
            "name: s\nexpectations:\n  - type: expect_column_values_to_be_between\n    kwargs: "
            "{column: x, colour: red}\n",
            r"bad kwargs \(colour: extra fields not permitted",
        ),
        (
            "name: s\nexpectations:\n  - type: expect_column_values_to_not_be_null\n    kwargs: "
            "{}\n",
            r"bad kwargs \(column: field required",
        ),
        (
            "name: s\nexpectations:\n  - type: expect_column_to_exist\n    kwargs: {column: x}\n   "
            " severity: fatal\n",
            r"invalid suite at expectations.0.severity",
        ),
        (
            "name: s\nexpectations:\n  - type: expect_column_to_exist\n    kwargs: {column: x, "
            "severity: warning}\n",
            r"put 'severity' beside kwargs",
        ),
        ("name: s\nexpectations: []\n", r"invalid suite at expectations"),
        ("name: s\nexpectatons: []\n", r"invalid suite at"),
        ("- just a list\n", r"expected a mapping"),
        ("name: [unclosed\n", r"not valid YAML"),
    ],
)
def test_bad_suite_yaml_is_one_clear_line(text, message):
    with pytest.raises(BadInput, match=message) as exc:
        parse_suite(text, "suite.yaml")
    assert str(exc.value).startswith("suite.yaml: ") and "\n" not in str(exc.value)


def test_missing_suite_file(tmp_path):
    with pytest.raises(BadInput, match="no such suite file"):
        load_suite(tmp_path / "nope.yaml")


def test_dump_is_loadable_yaml(suite):
    assert parse_suite(dump_suite(suite), "dumped") == suite


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.csv", None, "data .*missing.csv: no such file"),
        ("empty.csv", b"", "data .*empty.csv: the file is empty"),
        (
            "garbage.parquet",
            b"this is not parquet",
            "data .*garbage.parquet: cannot read as parquet",
        ),
        ("binary.csv", b"\xff\xfe\x00\x01\x02", "data .*binary.csv: cannot read as csv"),
        ("dup.csv", b"a,b,a\n1,2,3\n", "data .*dup.csv: duplicated column names a"),
        ("data.txt", b"a\n1\n", "unsupported data file type .txt"),
    ],
)
def test_loader_bad_input(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BadInput, match=message):
        load_frame(str(path), "data")


def test_loader_refuses_duplicated_parquet_fields(tmp_path):
    path = tmp_path / "dup.parquet"
    pq.write_table(pa.table([pa.array([1]), pa.array([2])], names=["a", "a"]), path)
    with pytest.raises(BadInput, match="duplicated column names a"):
        load_frame(str(path), "reference")


def test_loader_reads_store_keys(tmp_path):
    from slipway.data import table_bytes
    from slipway.store import open_store

    open_store().put_bytes("inputs/ref.parquet", table_bytes(reference()))
    assert len(load_frame("store:inputs/ref.parquet")) == 200


def _types(column: str, *, type_list=None, type_=None) -> ExpectationSpec:
    if type_ is not None:
        return ExpectationSpec(
            type="expect_column_values_to_be_of_type", kwargs={"column": column, "type_": type_}
        )
    return ExpectationSpec(
        type="expect_column_values_to_be_in_type_list",
        kwargs={"column": column, "type_list": type_list},
    )


def test_string_columns_are_type_checked_on_their_dtype():
    # given a pandas string column and an object column holding an int among strings
    frame = pd.DataFrame(
        {"s": pd.array(["a", "b", None], dtype="str"), "o": pd.Series(["a", 1, None], dtype=object)}
    )
    suite = SuiteSpec(
        name="types",
        expectations=[
            _types("s", type_list=["str"]),
            _types("s", type_list=["string"]),
            _types("s", type_list=["int64"]),
            _types("o", type_list=["str"]),
        ],
    )
    # when validated
    s_str, s_string, s_int, o_str = run_suite(frame, suite, "types").outcomes
    # then the string dtype satisfies "str" and "string" from the dtype alone (no per-value count)
    assert (
        s_str.success
        and s_string.success
        and s_str.observed == "str"
        and s_str.unexpected_count is None
    )
    assert not s_int.success
    # and the report keeps the suite's own kwargs (not the StringDtype GX was also given)
    assert s_str.kwargs["type_list"] == ["str"]
    # and an object column is still checked value by value: the int is the one unexpected value
    assert not o_str.success and o_str.unexpected_count == 1


def test_of_type_str_still_matches_a_string_column():
    # given expect_column_values_to_be_of_type, which GX matches per value on object columns
    frame = pd.DataFrame({"s": pd.array(["a", "b"], dtype="str")})
    suite = SuiteSpec(
        name="of-type", expectations=[_types("s", type_="str"), _types("s", type_list=["str"])]
    )
    # when validated / then both pass (the column goes to GX as object for this one)
    assert all(o.success for o in run_suite(frame, suite, "of-type").outcomes)
