"""Drift scoring adapter: production profiles from the store, merged per window, scored
against a version's reference profile under a policy; performance on labelled window data.

The gateway writes one profile per replica and time window to
`profiles/<model>/<version>/<variant>/<window_start %Y%m%dT%H%M%SZ>-<replica_id>.bin`.
Profiles are mergeable sketches, so any number of replicas and windows fold into one view.
Missing or empty profiles are reported as such (the decision is then `no-data`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from slipway.core.confidence import CONFIDENCE, mean_drop, prediction_verdict
from slipway.core.drift import DriftScores, Performance
from slipway.core.drift_policy import PREDICTION, DriftPolicy
from slipway.core.drift_verdicts import family_size, judge_columns
from slipway.core.keys import join_key
from slipway.drift import profiles
from slipway.errors import BadInput

PROFILE_ROOT = "profiles"
WINDOW_FORMAT = "%Y%m%dT%H%M%SZ"
VARIANTS = ("champion", "canary", "shadow")


def profile_prefix(model: str, version: str, variant: str) -> str:
    return join_key(PROFILE_ROOT, model, str(version), variant) + "/"


def profile_key(
    model: str, version: str, variant: str, window_start: datetime, replica: str
) -> str:
    stamp = window_start.astimezone(UTC).strftime(WINDOW_FORMAT)
    return join_key(PROFILE_ROOT, model, str(version), variant, f"{stamp}-{replica}.bin")


def window_start_of(key: str) -> datetime | None:
    """The window start encoded in a profile key's file name (None when it has none)."""
    name = key.rsplit("/", 1)[-1]
    try:
        return datetime.strptime(name[:16], WINDOW_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def list_window(
    store,
    model: str,
    version: str,
    start: datetime,
    end: datetime,
    variants: tuple[str, ...] = ("champion",),
) -> list[str]:
    """Profile keys of `version` whose window starts in [start, end), oldest first."""
    keys = []
    for variant in variants:
        for key in store.list(profile_prefix(model, version, variant)):
            began = window_start_of(key)
            if key.endswith(".bin") and began is not None and start <= began < end:
                keys.append(key)
    return sorted(keys, key=lambda k: (window_start_of(k), k))


@dataclass
class WindowProfile:
    """The merged view of a window's profiles (None when nothing usable was found)."""

    view: object | None
    keys: list[str]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return profiles.row_count(self.view) if self.view is not None else 0


def load_window(store, keys: list[str]) -> WindowProfile:
    """Deserialize and merge the profiles; empty or unreadable ones are skipped with the reason."""
    views, skipped = [], {}
    for key in keys:
        try:
            views.append(profiles.deserialize(store.get_bytes(key), what=f"profile {key}"))
        except BadInput as exc:
            skipped[key] = str(exc)
    return WindowProfile(
        view=profiles.merge(views), keys=[k for k in keys if k not in skipped], skipped=skipped
    )


def score(
    reference,
    current,
    policy: DriftPolicy,
    performance: Performance | None = None,
    exclude: tuple[str, ...] = (),
) -> DriftScores:
    """Every reference column (except `exclude`) scored under its policy rule; `prediction` apart.

    All columns of the comparison are judged together (`judge_columns`): the p-values are
    adjusted over the whole comparison before the thresholds apply.
    """
    current_columns = set(profiles.column_names(current))
    measures, missing = [], []
    for column in profiles.column_names(reference):
        if column in exclude:
            continue
        if column not in current_columns:
            if column != PREDICTION:
                missing.append(column)
            continue
        rule = policy.rule(column, profiles.is_numeric(reference, column))
        measures.append(profiles.measure_column(reference, current, column, rule))
    verdicts = judge_columns(measures, policy)
    features = [v for v in verdicts if v.name not in (PREDICTION, CONFIDENCE)]
    prediction = next((v for v in verdicts if v.name == PREDICTION), None)
    confidence = next((v for v in verdicts if v.name == CONFIDENCE), None)
    if confidence is not None:  # a drop in the top-1 probability counts as prediction drift
        drop = mean_drop(
            profiles.column_mean(reference, CONFIDENCE), profiles.column_mean(current, CONFIDENCE)
        )
        prediction = prediction_verdict(prediction, confidence, drop)
    return DriftScores(
        rows=profiles.row_count(current),
        features=features,
        prediction=prediction,
        performance=performance,
        missing=missing,
        correction=policy.correction,
        tests=family_size(verdicts),
    )


def frame_profile(frame):
    """A whylogs profile of a DataFrame (features and, if present, `prediction`)."""
    if len(frame) == 0:
        raise BadInput("the data has no rows: nothing to profile")
    return profiles.profile_frame(frame)


def load_profile_or_table(ref: str | Path):
    """A profile view from a whylogs `.bin` file or a CSV/Parquet dataset (profiled here)."""
    ref = str(ref)
    if ref.endswith(".bin"):
        path = Path(ref)
        if not path.is_file():
            raise BadInput(f"{ref}: no such profile file")
        return profiles.deserialize(path.read_bytes(), what=ref)
    from slipway.data import read_table

    frame = read_table(ref)
    if len(frame) == 0:
        raise BadInput(f"{ref}: the table has no rows")
    return frame_profile(frame)


def predictions_on(bundle_dir: str | Path, labelled, what: str = "bundle"):
    """(manifest, truth, predicted labels) of a bundle's selected candidate on labelled rows."""
    import numpy as np

    from slipway.layout import read_manifest
    from slipway.runtimes import load_candidate

    bundle_dir = Path(bundle_dir)
    manifest = read_manifest(bundle_dir)
    candidate = manifest.selected()
    if candidate is None:
        raise BadInput(f"{what} {bundle_dir}: no selected candidate to evaluate")
    target = manifest.target_column
    needed = [*manifest.feature_names, target]
    absent = [c for c in needed if c not in labelled.columns]
    if absent:
        raise BadInput(
            f"labelled window data lacks columns {', '.join(absent[:5])}: it needs the "
            f"model's features and the label {target!r}"
        )
    if len(labelled) == 0:
        raise BadInput("labelled window data has no rows")
    predicted = load_candidate(bundle_dir, candidate).predict(
        labelled[manifest.feature_names].to_numpy(dtype=np.float32)
    )["label"]
    return manifest, labelled[target].to_numpy(), np.asarray(predicted)


def metric_value(metric: str, truth, predicted) -> float:
    from sklearn.metrics import accuracy_score, f1_score

    if metric == "accuracy":
        return float(accuracy_score(truth, predicted))
    return float(f1_score(truth, predicted, average="macro"))


def metric_on(bundle_dir: str | Path, labelled, metric: str = "accuracy") -> float:
    """A version's metric on labelled rows (e.g. fresh shifted data, before and after a repair)."""
    _, truth, predicted = predictions_on(bundle_dir, labelled)
    return metric_value(metric, truth, predicted)


def performance_on(
    bundle_dir: str | Path,
    labelled,
    metric: str = "accuracy",
    previous: tuple[str, str | Path] | None = None,
    alpha: float = 0.05,
    collected_at: datetime | None = None,
) -> Performance:
    """The version's selected candidate on labelled window data vs its accuracy at release.

    `previous` (version, bundle dir): that version is evaluated on the same rows and compared
    with the champion by the paired test (exact McNemar): the counterfactual of a rollback.
    """
    from slipway.core.comparison import compare_classifiers
    from slipway.core.drift import Counterfactual

    bundle_dir = Path(bundle_dir)
    manifest, truth, predicted = predictions_on(bundle_dir, labelled)
    candidate = manifest.selected()
    if candidate.accuracy is None:
        raise BadInput(
            f"bundle {bundle_dir}: no selected candidate with an accuracy record to compare with"
        )
    if candidate.accuracy.metric != metric:
        raise BadInput(
            f"bundle {bundle_dir}: its release metric is {candidate.accuracy.metric!r}, "
            f"the policy asks for {metric!r}: set performance_metric in the policy"
        )
    counterfactual = error = None
    if previous is not None:
        version, previous_dir = previous
        try:
            _, _, before = predictions_on(previous_dir, labelled, what=f"`previous` v{version}")
            counterfactual = Counterfactual.of(
                version,
                compare_classifiers(
                    truth, before, predicted, require_improvement=True, alpha=alpha
                ),
            )
        except (BadInput, ValueError) as exc:
            error = str(exc)
    return Performance(
        metric=metric,
        baseline=float(candidate.accuracy.value),
        current=metric_value(metric, truth, predicted),
        rows=len(labelled),
        previous=counterfactual,
        previous_error=error,
        collected_at=collected_at,
    )


def labelled_at(ref: str, labelled, time_column: str) -> datetime | None:
    """When a labelled window was collected: its newest `time_column` value, else the local
    file's modification time, else None (unknown: taken as fresh)."""
    import pandas as pd

    if time_column in labelled.columns and len(labelled):
        try:
            newest = pd.to_datetime(labelled[time_column], utc=True).max()
        except (ValueError, TypeError):
            raise BadInput(
                f"labelled window column {time_column!r} is not a date/time: give ISO 8601 "
                "times or rename the column (policy labels.time_column)"
            ) from None
        if not pd.isna(newest):
            return newest.to_pydatetime()
    path = Path(ref)
    if "://" not in ref and not ref.startswith("store:") and path.is_file():
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return None
