"""whylogs profiles: the one module that imports whylogs.

whylogs 1.6.4 (unmaintained since 2024) still uses `np.unicode_`, removed in NumPy 2;
`_whylogs()` restores that alias once before importing it (tests/unit/test_profiles.py
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

    scores = calculate_drift_scores(target_view=current, reference_view=reference, with_thresholds=True)
    return {k: v for k, v in scores.items() if v is not None and (columns is None or k in columns)}
