"""Pure validation logic: suite derivation rules, contract building, report normalisation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from slipway.core.derivation import DeriveOptions, build_contract, derive_suite, type_family
from slipway.core.validation import (
    ExpectationSpec,
    SuiteSpec,
    gate_message,
    json_safe,
    make_report,
    markdown_table,
    outcome_from_result,
)
from slipway.errors import BadInput


def reference() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": np.array([0.0, 2.0, 4.0, 10.0], dtype=np.float32),
            "n": np.array([1, 5, 9, 100], dtype=np.int64),
            "colour": ["red", "blue", "red", "green"],
            "label": np.array([0, 1, 0, 1], dtype=np.int64),
            "sparse": [1.0, None, 3.0, 4.0],
        }
    )


def by(suite: SuiteSpec, type_: str, column: str | None = None, severity: str | None = None):
    return [
        e
        for e in suite.expectations
        if e.type == type_
        and (column is None or e.column == column)
        and (severity is None or e.severity == severity)
    ]


@pytest.mark.parametrize(
    "dtype, family",
    [
        ("float32", "float"),
        ("float64", "float"),
        ("int64", "int"),
        ("uint8", "int"),
        ("bool", "bool"),
        ("str", "string"),
        ("object", "string"),
        ("datetime64[ns]", "other"),
    ],
)
def test_type_family(dtype, family):
    assert type_family(dtype)[0] == family


def test_float_family_accepts_integers_but_int_family_refuses_floats():
    assert "int64" in type_family("float32")[1]
    assert "float64" not in type_family("int64")[1]


def test_derived_table_expectations():
    suite = derive_suite(reference())
    (columns,) = by(suite, "expect_table_columns_to_match_set")
    assert columns.kwargs == {
        "column_set": ["x", "n", "colour", "label", "sparse"],
        "exact_match": True,
    }
    assert by(suite, "expect_table_columns_to_match_ordered_list")[0].severity == "warning"
    counts = by(suite, "expect_table_row_count_to_be_between")
    assert [c.severity for c in counts] == ["critical", "warning"]
    assert counts[0].kwargs == {"min_value": 1}
    assert counts[1].kwargs == {"min_value": 1, "max_value": 40}


@pytest.mark.parametrize("column", ["x", "n", "colour", "label", "sparse"])
def test_every_column_keeps_its_type(column):
    suite = derive_suite(reference())
    (types,) = by(suite, "expect_column_values_to_be_in_type_list", column)
    assert types.severity == "critical" and types.kwargs["type_list"]


def test_null_limit_is_zero_without_reference_nulls_and_margin_with_them():
    suite = derive_suite(reference(), options=DeriveOptions(null_margin=0.05))
    assert "mostly" not in by(suite, "expect_column_values_to_not_be_null", "x")[0].kwargs
    assert by(suite, "expect_column_values_to_not_be_null", "sparse")[0].kwargs[
        "mostly"
    ] == pytest.approx(0.70)


def test_numeric_ranges_hard_critical_and_soft_warning():
    suite = derive_suite(reference(), options=DeriveOptions(hard_margin=0.5, soft_margin=0.1))
    (hard,) = by(suite, "expect_column_values_to_be_between", "x", "critical")
    (soft,) = by(suite, "expect_column_values_to_be_between", "x", "warning")
    assert (hard.kwargs["min_value"], hard.kwargs["max_value"]) == (-5.0, 15.0)
    assert (soft.kwargs["min_value"], soft.kwargs["max_value"]) == (-1.0, 11.0)


def test_constant_column_gets_room_from_the_pooled_span():
    frame = pd.DataFrame({"a": [0.0, 0.0, 0.0], "b": [0.0, 8.0, 16.0]})
    (hard,) = by(derive_suite(frame), "expect_column_values_to_be_between", "a", "critical")
    assert (hard.kwargs["min_value"], hard.kwargs["max_value"]) == (-8.0, 8.0)


def test_categorical_value_sets_for_strings_and_low_cardinality_ints():
    suite = derive_suite(reference(), options=DeriveOptions(max_categories=3))
    assert by(suite, "expect_column_values_to_be_in_set", "colour")[0].kwargs["value_set"] == [
        "blue",
        "green",
        "red",
    ]
    assert by(suite, "expect_column_values_to_be_in_set", "label")[0].kwargs["value_set"] == [0, 1]
    assert not by(suite, "expect_column_values_to_be_in_set", "n")  # 4 values > 3: a range instead
    assert by(suite, "expect_column_values_to_be_between", "n")


def test_derived_kwargs_are_plain_python():
    suite = derive_suite(reference())
    for e in suite.expectations:
        for value in e.kwargs.values():
            assert type(value).__module__ == "builtins"


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"a": pd.Series([], dtype=float)}), "zero rows"),
        (pd.DataFrame({"a": [1.0, 2.0], "b": [None, None]}), "column b is entirely null"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), "duplicated column names a"),
    ],
)
def test_bad_reference_is_refused(frame, message):
    with pytest.raises(BadInput, match=message):
        derive_suite(frame, origin="reference ref.csv")


def test_contract_excludes_target_keeps_order_and_takes_critical_bounds():
    frame = reference().drop(columns=["colour"])
    suite = derive_suite(frame)
    contract = build_contract(
        frame, suite, target_column="label", source={"reference_sha256": "abc"}
    )
    assert contract.feature_names == ["x", "n", "sparse"]
    assert contract.input_name == "input" and contract.input_dtype == "float32"
    assert contract.shape == [-1, 3]
    x = contract.features[0]
    assert (x.dtype, x.min, x.max, x.nullable) == ("float32", -5.0, 15.0, False)
    assert contract.features[2].nullable is True
    assert contract.source == {"reference_sha256": "abc"}


def test_contract_carries_value_sets():
    frame = pd.DataFrame({"k": np.array([1, 2, 1], dtype=np.int64), "y": [0, 1, 0]})
    contract = build_contract(frame, derive_suite(frame), target_column="y")
    assert contract.features[0].allowed_values == [1, 2]


@pytest.mark.parametrize(
    "target, message",
    [("nope", "target column 'nope' is not in the reference"), ("label", "holds strings")],
)
def test_contract_bad_input(target, message):
    with pytest.raises(BadInput, match=message):
        build_contract(reference(), derive_suite(reference()), target_column=target)


def spec(
    type_="expect_column_values_to_not_be_null", column="a", severity="critical"
) -> ExpectationSpec:
    return ExpectationSpec(
        type=type_, kwargs={"column": column} if column else {}, severity=severity
    )


def test_outcome_counts_and_examples():
    result = {
        "element_count": 4,
        "unexpected_count": 1,
        "unexpected_percent": 25.0,
        "partial_unexpected_list": [float("inf")],
    }
    outcome = outcome_from_result(
        spec("expect_column_values_to_be_between"), False, result, None, ["a"]
    )
    assert (outcome.unexpected_count, outcome.unexpected_percent, outcome.unexpected_examples) == (
        1,
        25.0,
        ["inf"],
    )
    assert (
        outcome.describe()
        == "a: expect_column_values_to_be_between [critical] (1 unexpected, 25.00%, e.g. inf)"
    )


def test_outcome_on_a_missing_column_says_so_instead_of_the_traceback():
    outcome = outcome_from_result(
        spec(column="gone"), False, {}, "KeyError: 'gone'\nlong traceback", ["a"]
    )
    assert outcome.error == "the column is missing" and not outcome.success


def test_outcome_names_extra_and_missing_columns_of_the_set():
    result = {
        "observed_value": ["a", "z"],
        "details": {"mismatched": {"unexpected": ["z"], "missing": ["b"]}},
    }
    outcome = outcome_from_result(
        ExpectationSpec(
            type="expect_table_columns_to_match_set", kwargs={"column_set": ["a", "b"]}
        ),
        False,
        result,
        None,
        ["a", "z"],
    )
    assert outcome.offending_columns == ["z", "b"]
    assert outcome.describe().startswith("z, b: expect_table_columns_to_match_set")


def test_outcome_names_columns_out_of_order():
    result = {
        "observed_value": ["b", "a"],
        "details": {"mismatched": [{"Expected Column Position": 0, "Expected": "a", "Found": "b"}]},
    }
    outcome = outcome_from_result(
        ExpectationSpec(
            type="expect_table_columns_to_match_ordered_list",
            kwargs={"column_list": ["a", "b"]},
            severity="warning",
        ),
        False,
        result,
        None,
        ["b", "a"],
    )
    assert outcome.offending_columns == ["b"]


@pytest.mark.parametrize(
    "value, expected",
    [
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
        (np.float32(1.5), 1.5),
        (np.int64(3), 3),
        ((1, "a"), [1, "a"]),
        ({"k": np.bool_(True)}, {"k": True}),
    ],
)
def test_json_safe(value, expected):
    assert json_safe(value) == expected


def outcomes(*specs_and_success):
    return [outcome_from_result(s, ok, {}, None, ["a", "b"]) for s, ok in specs_and_success]


@pytest.mark.parametrize(
    "results, success, critical, warnings",
    [
        ([(spec(), True)], True, 0, 0),
        ([(spec(), True), (spec(column="b", severity="warning"), False)], True, 0, 1),
        ([(spec(), False), (spec(column="b", severity="warning"), False)], False, 1, 1),
    ],
)
def test_only_critical_failures_fail_the_report(results, success, critical, warnings):
    report = make_report("s", "data.csv", 3, 2, outcomes(*results))
    assert (report.success, report.critical_failures, report.warnings) == (
        success,
        critical,
        warnings,
    )
    assert ("PASSED" in report.summary) is success


def test_failures_listed_column_first_in_column_order_table_last():
    table = ExpectationSpec(type="expect_table_row_count_to_be_between", kwargs={"min_value": 1})
    report = make_report(
        "s",
        "d",
        0,
        2,
        outcomes((table, False), (spec(column="b"), False), (spec(column="a"), False)),
    )
    lines = report.failure_lines()
    assert [line.split(":")[0] for line in lines] == ["b", "a", "(table)"]
    message = gate_message(report, "file:///r.json")
    assert message.startswith("validate-data gate failed: b: expect_column_values_to_not_be_null")
    assert message.endswith("(report: file:///r.json)")


def test_markdown_table_puts_failures_first():
    report = make_report("s", "d", 3, 2, outcomes((spec(), True), (spec(column="b"), False)))
    lines = markdown_table(report).splitlines()
    assert lines[0].startswith("**validate-data FAILED")
    assert lines[4].startswith("| FAIL | b |")
    assert len(lines) == 6


def test_report_json_has_no_nan():
    report = make_report(
        "s",
        "d",
        1,
        1,
        [outcome_from_result(spec(), False, {"observed_value": math.nan}, None, ["a"])],
    )
    assert "NaN" not in report.model_dump_json()
