"""Derive an expectation suite from a reference DataFrame, and the serving contract from both.

Plain pandas/numpy, no Great Expectations. The rules (see `DeriveOptions`):

- table: the exact column set (critical: names missing and extra columns), the column order
(warning), at least one row
  (critical), a row count within [low, high] x the reference's (warning);
- every column: its dtype is in the reference dtype's family, its null fraction
  stays under a limit (no nulls at all when the reference has none);
- numeric columns: values within the reference range widened by a hard margin (critical,
  this also refuses infinity) and by a soft margin (warning: a drift signal);
- categorical columns (strings, or integers with few distinct values): values in the
  reference's value set (critical).

The margins scale with max(column span, median span of the numeric columns), so a sparse
column whose small reference sample happens to be constant still gets room.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from slipway.core.contract import Dtype, FeatureSpec, ServingContract
from slipway.core.validation import ExpectationSpec, SuiteSpec
from slipway.errors import BadInput

INT_TYPES = [
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
]
FLOAT_TYPES = ["float16", "float32", "float64", "Float32", "Float64"]
STRING_TYPES = ["str", "string", "object"]
BOOL_TYPES = ["bool", "boolean"]


class DeriveOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hard_margin: float = Field(
        0.5, ge=0, description="critical range: reference range +/- this x scale"
    )
    soft_margin: float = Field(
        0.1, ge=0, description="warning range: reference range +/- this x scale"
    )
    null_margin: float = Field(
        0.05,
        ge=0,
        le=1,
        description="allowed null fraction above the reference's (when it has nulls)",
    )
    max_categories: int = Field(
        20, ge=1, description="string/integer columns with at most this many values get a value set"
    )
    row_count_low: float = Field(0.1, ge=0)
    row_count_high: float = Field(10.0, ge=1)


def type_family(dtype: Any) -> tuple[str, list[str]]:
    """('float'|'int'|'bool'|'string'|'other', accepted dtype names) of a pandas dtype."""
    name = str(dtype)
    if name in BOOL_TYPES:
        return "bool", BOOL_TYPES
    if name in INT_TYPES:
        return "int", INT_TYPES
    if name in FLOAT_TYPES:
        return "float", FLOAT_TYPES + INT_TYPES
    if name in STRING_TYPES:
        return "string", STRING_TYPES
    return "other", [name]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def check_reference(frame, origin: str = "reference") -> None:
    """A reference must have rows, unique column names and no all-null column."""
    names = [str(c) for c in frame.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise BadInput(
            f"{origin}: duplicated column names {', '.join(dupes)}; each column must appear once"
        )
    if len(frame) == 0:
        raise BadInput(
            f"{origin}: has zero rows; a suite cannot be derived from it (give a non-empty "
            "reference)"
        )
    empty = [str(c) for c in frame.columns if frame[c].isna().all()]
    if empty:
        raise BadInput(
            f"{origin}: column {', '.join(empty)} is entirely null; drop or fill it before "
            "deriving a suite"
        )


def _scale(frame, numeric: list[str]) -> float:
    spans = sorted(float(frame[c].max() - frame[c].min()) for c in numeric)
    return spans[len(spans) // 2] if spans else 0.0


def _range(lo: float, hi: float, margin: float, pooled: float) -> tuple[float, float]:
    scale = max(hi - lo, pooled) or max(abs(lo), abs(hi), 1.0)
    return lo - margin * scale, hi + margin * scale


def _column_expectations(
    frame, column: str, family: str, accepted: list[str], pooled: float, opts: DeriveOptions
):
    series = frame[column]
    # no expect_column_to_exist: the table's exact column set already names missing columns
    out = [
        ExpectationSpec(
            type="expect_column_values_to_be_in_type_list",
            kwargs={"column": column, "type_list": accepted},
        )
    ]
    null_fraction = float(series.isna().mean())
    limit = 0.0 if null_fraction == 0 else min(1.0, null_fraction + opts.null_margin)
    kwargs: dict[str, Any] = {"column": column}
    if limit > 0:
        kwargs["mostly"] = round(1.0 - limit, 6)
    out.append(ExpectationSpec(type="expect_column_values_to_not_be_null", kwargs=kwargs))
    values = series.dropna()
    distinct = values.unique()
    categorical = family == "string" or (family == "int" and len(distinct) <= opts.max_categories)
    if categorical:
        if len(distinct) <= opts.max_categories:
            value_set = sorted(_plain(v) for v in distinct)
            out.append(
                ExpectationSpec(
                    type="expect_column_values_to_be_in_set",
                    kwargs={"column": column, "value_set": value_set},
                )
            )
    elif family in ("int", "float"):
        lo, hi = float(values.min()), float(values.max())
        for margin, severity in ((opts.hard_margin, "critical"), (opts.soft_margin, "warning")):
            low, high = _range(lo, hi, margin, pooled)
            out.append(
                ExpectationSpec(
                    type="expect_column_values_to_be_between",
                    kwargs={
                        "column": column,
                        "min_value": round(low, 6),
                        "max_value": round(high, 6),
                    },
                    severity=severity,
                )
            )
    return out


def derive_suite(
    frame, name: str = "derived", options: DeriveOptions | None = None, origin: str = "reference"
) -> SuiteSpec:
    """The suite the reference frame itself passes (it is validated against it in tests)."""
    opts = options or DeriveOptions()
    check_reference(frame, origin)
    columns = [str(c) for c in frame.columns]
    families = {c: type_family(frame[c].dtype) for c in columns}
    numeric = [c for c in columns if families[c][0] in ("int", "float")]
    pooled = _scale(frame, numeric)
    rows = len(frame)
    expectations = [
        ExpectationSpec(
            type="expect_table_columns_to_match_set",
            kwargs={"column_set": columns, "exact_match": True},
        ),
        ExpectationSpec(
            type="expect_table_columns_to_match_ordered_list",
            kwargs={"column_list": columns},
            severity="warning",
        ),
        ExpectationSpec(type="expect_table_row_count_to_be_between", kwargs={"min_value": 1}),
        ExpectationSpec(
            type="expect_table_row_count_to_be_between",
            kwargs={
                "min_value": max(1, math.floor(rows * opts.row_count_low)),
                "max_value": math.ceil(rows * opts.row_count_high),
            },
            severity="warning",
        ),
    ]
    for column in columns:
        family, accepted = families[column]
        expectations += _column_expectations(frame, column, family, accepted, pooled, opts)
    meta = {"derived_from": origin, "reference_rows": rows, "options": opts.model_dump()}
    return SuiteSpec(name=name, meta=meta, expectations=expectations)


_CONTRACT_DTYPES: dict[str, Dtype] = {
    "float": "float32",
    "int": "int64",
    "bool": "bool",
    "string": "string",
}


def _contract_dtype(dtype: Any) -> Dtype:
    name = str(dtype)
    if name in ("float32", "float64", "int32", "int64", "bool"):
        return name  # type: ignore[return-value]
    family, _ = type_family(dtype)
    if family == "other":
        raise BadInput(
            f"reference dtype {name} has no serving-contract dtype; use numeric, bool or string "
            "columns"
        )
    return _CONTRACT_DTYPES[family]


def build_contract(
    reference_frame,
    suite: SuiteSpec,
    target_column: str | None = None,
    input_name: str = "input",
    input_dtype: Dtype = "float32",
    source: dict[str, str] | None = None,
) -> ServingContract:
    """Features (reference column order, target excluded) with the suite's critical ranges and
    sets."""
    columns = [str(c) for c in reference_frame.columns]
    if target_column is not None and target_column not in columns:
        raise BadInput(
            f"target column {target_column!r} is not in the reference (columns: "
            f"{', '.join(columns[:8])}...)"
        )
    features = []
    numeric_input = input_dtype not in ("string", "bool")
    for column in columns:
        if column == target_column:
            continue
        dtype = _contract_dtype(reference_frame[column].dtype)
        if numeric_input and dtype == "string":
            raise BadInput(
                f"reference column {column!r} holds strings but the model input is {input_dtype}; "
                "encode it or name it as the target"
            )
        critical = [
            e for e in suite.expectations if e.column == column and e.severity == "critical"
        ]
        ranges = [e.kwargs for e in critical if e.type == "expect_column_values_to_be_between"]
        sets = [
            e.kwargs["value_set"] for e in critical if e.type == "expect_column_values_to_be_in_set"
        ]
        not_null = [
            e
            for e in critical
            if e.type == "expect_column_values_to_not_be_null" and e.kwargs.get("mostly", 1) == 1
        ]
        features.append(
            FeatureSpec(
                name=column,
                dtype=dtype,
                min=max(
                    (r["min_value"] for r in ranges if r.get("min_value") is not None), default=None
                ),
                max=min(
                    (r["max_value"] for r in ranges if r.get("max_value") is not None), default=None
                ),
                allowed_values=list(sets[0]) if sets else None,
                nullable=not not_null,
            )
        )
    if not features:
        raise BadInput("the reference has no feature columns besides the target; nothing to serve")
    return ServingContract(
        input_name=input_name, input_dtype=input_dtype, features=features, source=source or {}
    )
