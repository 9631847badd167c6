"""whylogs profiles: the one module that imports whylogs.

whylogs 1.6.4 (unmaintained since 2024) still uses `np.unicode_`, removed in NumPy 2;
`_whylogs()` restores that alias once before importing it (tests/unit/drift/test_profiles.py
shows the need). Profiles are mergeable sketches: any number of replicas and time windows
fold into one view.
"""

from __future__ import annotations

from collections.abc import Iterable

from slipway.core import drift_stats
from slipway.core.drift_policy import ResolvedRule
from slipway.core.drift_verdicts import ColumnMeasure, NullCounts
from slipway.errors import BadInput

_WHYLOGS = None


def _whylogs():
    global _WHYLOGS
    if _WHYLOGS is None:
        import numpy as np

        if not hasattr(np, "unicode_"):
            np.unicode_ = np.str_  # whylogs 1.6.4 needs the NumPy 1 alias
        import whylogs

        _WHYLOGS = whylogs
    return _WHYLOGS


def profile_frame(frame):
    """A whylogs DatasetProfileView of a DataFrame."""
    why = _whylogs()
    return why.log(pandas=frame).view()


def serialize(view) -> bytes:
    return view.serialize()


def deserialize(data: bytes, what: str = "profile"):
    _whylogs()
    from whylogs.core import DatasetProfileView

    if not data:
        raise BadInput(f"{what} is empty: it holds no whylogs profile")
    try:
        return DatasetProfileView.deserialize(data)
    except Exception as exc:
        raise BadInput(f"{what} is not a whylogs profile ({type(exc).__name__})") from None


def merge(views: Iterable):
    """Merge profile views (of any number of replicas and windows) into one, or None if none."""
    merged = None
    for view in views:
        merged = view if merged is None else merged.merge(view)
    return merged


def row_count(view) -> int:
    """Rows profiled (the largest column count in the view; 0 for an empty view)."""
    counts = []
    for column in view.get_columns().values():
        metric = column.get_metric("counts")
        if metric is not None:
            counts.append(int(metric.n.value))
    return max(counts, default=0)


def drift_scores(reference, current, columns: list[str] | None = None) -> dict[str, dict]:
    """whylogs' per-column drift scores (KS for numeric, chi-square for categorical)."""
    _whylogs()
    from whylogs.viz.drift.column_drift_algorithms import calculate_drift_scores

    scores = calculate_drift_scores(
        target_view=current, reference_view=reference, with_thresholds=True
    )
    return {k: v for k, v in scores.items() if v is not None and (columns is None or k in columns)}


def column_names(view) -> list[str]:
    return list(view.get_columns())


def is_numeric(view, column: str) -> bool:
    """True when the column has a non-empty numeric distribution sketch (KLL)."""
    metric = view.get_column(column).get_metric("distribution")
    return metric is not None and not metric.kll.value.is_empty()


UNTRACKED = "(untracked categories)"
"""The rows of categories a frequent-items sketch did not keep (past ~750 distinct values)."""


def null_counts(view, column: str) -> tuple[int, int]:
    """(nulls, rows) of a column from whylogs' counts metric (NaN counts as null)."""
    metric = view.get_column(column).get_metric("counts")
    if metric is None:
        return 0, 0
    return int(metric.null.value), int(metric.n.value)


def value_kinds(view, column: str) -> dict[str, int]:
    """Non-null values per kind (numbers, strings, booleans, objects), from the types metric."""
    metric = view.get_column(column).get_metric("types")
    if metric is None:
        return {}
    kinds = {
        "numbers": metric.integral.value + metric.fractional.value,
        "strings": metric.string.value,
        "booleans": metric.boolean.value,
        "objects": metric.object.value + metric.tensor.value,
    }
    return {kind: int(count) for kind, count in kinds.items() if count > 0}


def category_counts(column_view) -> dict[str, float] | None:
    """Rows per category of a column (frequent-items sketch), None when it keeps none.

    Rows of categories the sketch dropped are one extra category, `UNTRACKED`, so that both
    sides still add up to their non-null rows.
    """
    metric = column_view.get_metric("frequent_items")
    counts = column_view.get_metric("counts")
    if metric is None or counts is None:
        return None
    from whylogs.core.configs import SummaryConfig

    items = metric.to_summary_dict(SummaryConfig())["frequent_strings"]
    values = int(counts.n.value) - int(counts.null.value)
    if values <= 0:
        return None
    out = {str(item.value): float(item.est) for item in items}
    rest = values - sum(out.values())
    if rest >= 0.5:
        out[UNTRACKED] = float(rest)
    return out


def chi_square(reference_column, current_column) -> tuple[float, float] | None:
    """Chi-square test of homogeneity on two frequent-items sketches: (Cramer's V, p-value).

    A two-sample test (both sides are samples), unlike whylogs' goodness-of-fit variant that
    treats the reference as exact and reports infinity for rare reference categories. The
    statistic is Bergsma's bias-corrected Cramer's V; sparse tables get a permutation p-value
    (`slipway.core.drift_stats.chi_square`).
    """
    ref, cur = category_counts(reference_column), category_counts(current_column)
    if ref is None or cur is None:
        return None
    categories = sorted(set(ref) | set(cur))
    table = [[ref.get(c, 0.0) for c in categories], [cur.get(c, 0.0) for c in categories]]
    return drift_stats.chi_square(table)


def column_mean(view, column: str) -> float | None:
    """The mean of a numeric column's distribution sketch (None when empty or absent)."""
    col = view.get_column(column)
    metric = col.get_metric("distribution") if col is not None else None
    if metric is None or metric.kll.value.is_empty():
        return None
    return float(metric.mean.value)


def _numeric_range(view, column: str) -> tuple[float, float] | None:
    metric = view.get_column(column).get_metric("distribution")
    if metric is None or metric.kll.value.is_empty():
        return None
    return float(metric.kll.value.get_min_value()), float(metric.kll.value.get_max_value())


def column_test(reference, current, column: str, test: str) -> tuple[float | None, float | None]:
    """(statistic, p-value) of `test` on one column of two profiles; (None, None) if it cannot run.

    ks: whylogs' KS on the KLL sketches (statistic D); hellinger: whylogs' Hellinger distance
    on the sketches' histograms, with the KS test's p-value; chi-square: `chi_square`.
    """
    _whylogs()
    from whylogs.viz.drift.column_drift_algorithms import KS, Hellinger

    ref_col, cur_col = reference.get_column(column), current.get_column(column)
    if test == "chi-square":
        result = chi_square(ref_col, cur_col)
        return (None, None) if result is None else result
    if not (is_numeric(reference, column) and is_numeric(current, column)):
        return None, None
    ks = KS().calculate(target_column_view=cur_col, reference_column_view=ref_col)
    if ks is None or ks.statistic is None:
        return None, None
    pvalue = None if ks.pvalue is None else float(ks.pvalue)
    if test == "ks":
        return float(ks.statistic), pvalue
    score = Hellinger().calculate(target_column_view=cur_col, reference_column_view=ref_col)
    if score is None or score.statistic is None:
        return None, None
    return float(score.statistic), pvalue


def measure_column(reference, current, column: str, rule: ResolvedRule) -> ColumnMeasure:
    """Everything the verdict needs about one column, read from the two profiles."""
    ref_nulls, ref_rows = null_counts(reference, column)
    cur_nulls, cur_rows = null_counts(current, column)
    nulls = NullCounts(
        reference_nulls=ref_nulls,
        reference_rows=ref_rows,
        current_nulls=cur_nulls,
        current_rows=cur_rows,
    )
    base = {"name": column, "rule": rule, "nulls": nulls}
    if ref_nulls >= ref_rows and cur_nulls >= cur_rows:  # null on both sides: nothing moved
        return ColumnMeasure(**base, statistic=0.0, pvalue=1.0, testable=False)
    why = _unscorable(reference, current, column, rule, (ref_nulls, ref_rows, cur_nulls, cur_rows))
    if why:
        return ColumnMeasure(**base, unscorable=why)
    statistic, pvalue = column_test(reference, current, column, rule.test)
    if statistic is None:
        return ColumnMeasure(**base, unscorable=f"the {rule.test} test could not run on it")
    testable, unseen, unseen_rows = True, 0, 0.0
    if rule.test == "chi-square":
        ref = category_counts(reference.get_column(column)) or {}
        cur = category_counts(current.get_column(column)) or {}
        testable = len(set(ref) | set(cur)) > 1
        unseen, unseen_rows = drift_stats.unseen_categories(ref, cur)
    else:
        ref_range, cur_range = _numeric_range(reference, column), _numeric_range(current, column)
        constant = ref_range is not None and ref_range[0] == ref_range[1]
        testable = not (constant and ref_range == cur_range)  # one value on both sides
    return ColumnMeasure(
        **base,
        statistic=statistic,
        pvalue=pvalue,
        testable=testable,
        unseen=unseen,
        unseen_rows=unseen_rows,
    )


def _unscorable(reference, current, column, rule, counts) -> str | None:
    ref_nulls, ref_rows, cur_nulls, cur_rows = counts
    if ref_rows == 0 or ref_nulls >= ref_rows:
        return "the reference has no values in it"
    if cur_rows > 0 and cur_nulls >= cur_rows:
        return f"all {cur_rows} values in the window are null"
    ref_kinds, cur_kinds = value_kinds(reference, column), value_kinds(current, column)
    new = {kind: n for kind, n in cur_kinds.items() if kind not in ref_kinds}
    if new and ref_kinds:
        seen = " and ".join(ref_kinds)
        arrived = ", ".join(f"{n} {kind}" for kind, n in new.items())
        return f"its type changed: the reference holds {seen}, the window {arrived}"
    if rule.test == "chi-square" and category_counts(reference.get_column(column)) is None:
        return (
            "chi-square needs category counts and the profile keeps none for fractional "
            "numbers: give it the ks or hellinger test in the policy"
        )
    return None
