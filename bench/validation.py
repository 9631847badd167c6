"""validate-data at scale: Great Expectations vs the same checks in plain pandas/numpy, one run.

    PYTHONPATH=. python bench/validation.py [--rows 1000000] [--repeats 3]

A 20-column reference (14 float64, 2 float32, 2 low-cardinality int64, 2 string
categoricals) derives the suite; a fresh draw of the same distribution with a few
injected faults (NaN, infinity, an unknown category) is validated by both engines, which
must agree on every expectation's verdict and unexpected count. Prints GX import time,
the first GX run (context creation included), warm GX runs, the plain baseline, and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

import slipway  # noqa: F401  (telemetry opt-outs)
from slipway.core.derivation import derive_suite
from slipway.core.validation import SuiteSpec


def make_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {f"f{i:02d}": rng.normal(i, 1 + i / 4, rows) for i in range(14)}
    columns |= {f"g{i}": rng.uniform(0, 255, rows).astype(np.float32) for i in range(2)}
    columns |= {f"k{i}": rng.integers(0, 12, rows) for i in range(2)}
    colours = np.array(["red", "green", "blue", "amber", "violet"], dtype=object)
    columns |= {f"c{i}": pd.array(colours[rng.integers(0, 5, rows)], dtype="str") for i in range(2)}
    return pd.DataFrame(columns)


def inject_faults(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[frame.index[::50_000], "f03"] = np.nan
    frame.loc[frame.index[7], "g1"] = np.inf
    frame.loc[frame.index[11], "c0"] = "ultraviolet"
    return frame


def plain_checks(
    frame: pd.DataFrame, suite: SuiteSpec
) -> list[tuple[str, str | None, bool, int | None]]:
    """The same expectations as GX evaluates them, in pandas/numpy: (type, column, success,
    unexpected)."""
    out = []
    names = [str(c) for c in frame.columns]
    rows = len(frame)
    for e in suite.expectations:
        kw, column = e.kwargs, e.column
        unexpected = None
        if e.type == "expect_table_columns_to_match_set":
            ok = set(names) == set(kw["column_set"])
        elif e.type == "expect_table_columns_to_match_ordered_list":
            ok = names == list(kw["column_list"])
        elif e.type == "expect_table_row_count_to_be_between":
            ok = kw.get("min_value", 0) <= rows <= kw.get("max_value", rows)
        else:
            series = frame[column]
            nonnull = series.notna().to_numpy()
            if e.type == "expect_column_values_to_be_in_type_list":
                dtype = "object" if isinstance(series.dtype, pd.StringDtype) else str(series.dtype)
                ok = dtype in kw["type_list"]
            elif e.type == "expect_column_values_to_not_be_null":
                unexpected = int(rows - nonnull.sum())
                ok = (rows - unexpected) >= kw.get("mostly", 1.0) * rows
            elif e.type == "expect_column_values_to_be_between":
                values = series.to_numpy()[nonnull]
                unexpected = int(((values < kw["min_value"]) | (values > kw["max_value"])).sum())
                ok = unexpected == 0
            elif e.type == "expect_column_values_to_be_in_set":
                unexpected = int((~series[nonnull].isin(kw["value_set"])).sum())
                ok = unexpected == 0
            else:
                raise ValueError(f"no plain implementation of {e.type}")
        out.append((e.type, column, bool(ok), unexpected))
    return out


def timed(fn, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    reference, data = make_frame(args.rows, seed=1), inject_faults(make_frame(args.rows, seed=2))
    started = time.perf_counter()
    suite = derive_suite(reference, name="bench")
    derive_s = time.perf_counter() - started

    started = time.perf_counter()
    import great_expectations  # noqa: F401

    import_s = time.perf_counter() - started
    from slipway.validation.gx_runner import run_suite

    started = time.perf_counter()
    run_suite(data, suite, "bench")
    first_s = time.perf_counter() - started
    gx_s, gx_all, report = timed(lambda: run_suite(data, suite, "bench"), args.repeats)
    plain_s, plain_all, plain = timed(lambda: plain_checks(data, suite), args.repeats)

    gx_view = [
        (o.expectation_type, o.column, o.success, o.unexpected_count) for o in report.outcomes
    ]
    diff = [
        (g, p)
        for g, p in zip(gx_view, plain, strict=True)
        if g[:3] != p[:3]
        or (p[3] is not None and g[3] != p[3])  # GX also counts for object type checks
    ]
    if diff:
        print(f"engines disagree on {len(diff)} expectation(s): {diff[:3]}", file=sys.stderr)
        return 1

    print(
        f"data: {len(data):,} rows x {len(data.columns)} columns; suite: {len(suite.expectations)} "
        f"expectations (derived in {derive_s:.2f} s)"
    )
    print(
        f"verdicts agree: {report.critical_failures} critical failure(s), {report.warnings} "
        "warning(s) in both engines"
    )
    print(f"great_expectations import:          {import_s:8.2f} s")
    print(f"GX first run (context + validate):  {first_s:8.2f} s")
    print(
        f"GX warm run, median of {args.repeats}:        {gx_s:8.2f} s  "
        f"{[f'{t:.2f}' for t in gx_all]}"
    )
    print(
        f"plain pandas/numpy, median of {args.repeats}:  {plain_s:8.2f} s  "
        f"{[f'{t:.2f}' for t in plain_all]}"
    )
    print(f"ratio GX / plain (warm):            {gx_s / plain_s:8.2f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
