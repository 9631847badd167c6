"""whylogs profiles: the one module that imports whylogs.

whylogs 1.6.4 (unmaintained since 2024) still uses `np.unicode_`, removed in NumPy 2;
`_whylogs()` restores that alias once before importing it (tests/unit/drift/test_profiles.py
shows the need). Profiles are mergeable sketches: any number of replicas and time windows
fold into one view.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def _frequent_counts(column_view) -> tuple[dict[str, float], float] | None:
    from whylogs.viz.utils.frequent_items_calculations import get_frequent_stats

    stats = get_frequent_stats(column_view, config=None)
    if not stats or stats["total_count"] <= 0:
        return None
    return {str(i["value"]): float(i["estimate"]) for i in stats["frequent_items"]}, float(
        stats["total_count"]
    )


def chi_square(reference_column, current_column) -> tuple[float, float] | None:
    """Chi-square test of homogeneity on two frequent-items sketches: (Cramer's V, p-value).

    A two-sample test (both sides are samples), unlike whylogs' goodness-of-fit variant that
    treats the reference as exact and reports infinity for rare reference categories.
    """
    from scipy.stats import chi2_contingency

    ref, cur = _frequent_counts(reference_column), _frequent_counts(current_column)
    if ref is None or cur is None:
        return None
    categories = sorted(set(ref[0]) | set(cur[0]))
    table = [[ref[0].get(c, 0.0) for c in categories], [cur[0].get(c, 0.0) for c in categories]]
    if len(categories) < 2:
        return 0.0, 1.0
    chi2, pvalue, _, _ = chi2_contingency(table, correction=False)
    total = sum(map(sum, table))
    return float(min(1.0, (chi2 / total) ** 0.5)), float(pvalue)


def column_test(reference, current, column: str, test: str) -> tuple[float | None, float | None]:
    """(statistic, p-value) of `test` on one column of two profiles; (None, None) when it cannot
    run.

    ks: whylogs' KS on the KLL sketches (statistic D); hellinger: whylogs' Hellinger distance
    on the sketches' histograms (no p-value); chi-square: `chi_square` (Cramer's V).
    """
    _whylogs()
    from whylogs.viz.drift.column_drift_algorithms import KS, Hellinger

    ref_col, cur_col = reference.get_column(column), current.get_column(column)
    if test == "chi-square":
        result = chi_square(ref_col, cur_col)
        return (None, None) if result is None else result
    algorithm = KS() if test == "ks" else Hellinger()
    if not (is_numeric(reference, column) and is_numeric(current, column)):
        return None, None
    score = algorithm.calculate(target_column_view=cur_col, reference_column_view=ref_col)
    if score is None or score.statistic is None:
        return None, None
    pvalue = None if score.pvalue is None else float(score.pvalue)
    return float(score.statistic), pvalue
