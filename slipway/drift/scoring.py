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


def performance_on(bundle_dir: str | Path, labelled, metric: str = "accuracy") -> Performance:
    """The version's selected candidate on labelled window data vs its accuracy at release."""
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score

    from slipway.layout import read_manifest
    from slipway.runtimes import load_candidate

    bundle_dir = Path(bundle_dir)
    manifest = read_manifest(bundle_dir)
    candidate = manifest.selected()
    if candidate is None or candidate.accuracy is None:
        raise BadInput(
            f"bundle {bundle_dir}: no selected candidate with an accuracy record to compare with"
        )
    if candidate.accuracy.metric != metric:
        raise BadInput(
            f"bundle {bundle_dir}: its release metric is {candidate.accuracy.metric!r}, "
            f"the policy asks for {metric!r}: set performance_metric in the policy"
        )
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
    truth = labelled[target].to_numpy()
    value = (
        accuracy_score(truth, predicted)
        if metric == "accuracy"
        else f1_score(truth, predicted, average="macro")
    )
    return Performance(
        metric=metric,
        baseline=float(candidate.accuracy.value),
        current=float(value),
        rows=len(labelled),
    )
