"""The drift decision: scores in, one action out. Pure (no whylogs, Prefect or MLflow).

The column verdicts (`FeatureScore`, `judge`, `judge_columns`) live in
`slipway.core.drift_verdicts`, with the error rate controlled over a comparison's columns;
`decide` turns a window's verdicts, the performance on labelled data and the release history
into one of `none`, `retrain`, `rollback`, `alert-only` or `no-data`, with the reasons and the
drifted features named. Cooldown and de-duplication: an action already running, or one opened
within the cooldown, is not opened again (the result is `alert-only`, saying why).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from slipway.core.drift_policy import PREDICTION, DriftPolicy
from slipway.core.drift_verdicts import FeatureScore, NullShift, judge

__all__ = ["FeatureScore", "NullShift", "judge"]  # the column verdicts, re-exported

Action = Literal["none", "retrain", "rollback", "alert-only", "no-data"]
OPENED_ACTIONS = ("retrain", "rollback")
IN_PROGRESS = ("SCHEDULED", "PENDING", "RUNNING", "PAUSED")


def in_progress(
    state: str | None, last_update: datetime | None, now: datetime, stale_after: timedelta
) -> bool:
    """Does a retrain/rollback run in `state` still block opening another one?

    Only a run in an unfinished state does, and only while it was updated (a state change, a
    heartbeat) within `stale_after` (the policy's cooldown): a run left RUNNING by a worker
    that died says nothing about work in progress, and must not block retrains forever."""
    if state not in IN_PROGRESS:
        return False
    return last_update is None or now - last_update <= stale_after


class Performance(BaseModel):
    """The champion's metric on labelled window data against its value at release."""

    model_config = ConfigDict(frozen=True)

    metric: str
    baseline: float
    current: float
    rows: int

    @property
    def drop(self) -> float:
        return self.baseline - self.current


class DriftScores(BaseModel):
    """Everything measured on one window (merged production profiles vs the reference)."""

    model_config = ConfigDict(frozen=True)

    rows: int
    features: list[FeatureScore] = Field(default_factory=list)
    prediction: FeatureScore | None = None
    performance: Performance | None = None
    missing: list[str] = Field(default_factory=list)
    """Reference columns the production profiles lack."""
    correction: str = "none"
    """How the p-values were adjusted over the comparison (policy `correction`)."""
    tests: int = 0
    """Tests in the corrected family (distribution and null-share tests that could reject)."""

    @property
    def drifted(self) -> list[FeatureScore]:
        return [f for f in self.features if f.drifted]

    @property
    def unscorable(self) -> list[FeatureScore]:
        """Columns (and `prediction`) that could not be scored: never "no drift"."""
        columns = [*self.features, *([self.prediction] if self.prediction else [])]
        return [f for f in columns if f.statistic is None or f.unscorable]

    def weighted_share(self) -> float:
        total = sum(f.weight for f in self.features)
        return sum(f.weight for f in self.drifted) / total if total > 0 else 0.0


class History(BaseModel):
    """What the monitor knows about releases and the actions it opened before."""

    model_config = ConfigDict(frozen=True)

    now: datetime
    promoted_at: datetime | None = None
    """When the current champion was promoted (None: unknown or never)."""
    has_previous: bool = False
    previous_fine: bool | None = None
    """The last verdict while `previous` was champion was `none` (None: unknown)."""
    running: frozenset[str] = frozenset()
    """Actions (retrain, rollback) with a run in progress for this model."""
    last_opened: dict[str, datetime] = Field(default_factory=dict)


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: Action
    reasons: list[str]
    drifted: list[str] = Field(default_factory=list)
    """Drifted columns, most important first (`prediction` last when it drifted)."""
    suppressed: Literal["retrain", "rollback"] | None = None
    """The action the policy asked for but cooldown / de-duplication stopped."""


def decide(
    scores: DriftScores | None,
    policy: DriftPolicy,
    history: History,
    no_data_reason: str = "no production profiles in the window",
) -> Decision:
    """The one decision for a window (see the module docstring and README 'Drift policy')."""
    if scores is None or scores.rows == 0:
        return Decision(action="no-data", reasons=[no_data_reason])
    if scores.rows < policy.min_rows:
        return Decision(
            action="no-data",
            reasons=[
                f"only {scores.rows} production rows in the window "
                f"(policy min_rows {policy.min_rows})"
            ],
        )
    drifted = sorted(scores.drifted, key=lambda f: (-f.weight, f.name))
    names = [f.name for f in drifted]
    prediction_drift = scores.prediction is not None and scores.prediction.drifted
    if prediction_drift:
        names.append(PREDICTION)
    perf = scores.performance
    perf_drop = perf is not None and perf.drop > policy.rollback.max_performance_drop
    any_drift = bool(drifted) or prediction_drift
    action, reasons = _propose(
        scores, policy, history, drifted, prediction_drift, perf_drop, any_drift
    )
    if action in OPENED_ACTIONS:
        stop = _stopped(action, policy, history)
        if stop:
            return Decision(
                action="alert-only", reasons=[*reasons, stop], drifted=names, suppressed=action
            )
    return Decision(action=action, reasons=reasons, drifted=names)


def _propose(scores, policy, history, drifted, prediction_drift, perf_drop, any_drift):
    perf = scores.performance
    perf_text = (
        f"{perf.metric} fell from {perf.baseline:.4f} to {perf.current:.4f} "
        f"(drop {perf.drop:.4f} > limit {policy.rollback.max_performance_drop:g}, "
        f"{perf.rows} labelled rows)"
        if perf_drop
        else ""
    )
    recent = history.promoted_at is not None and (
        history.now - history.promoted_at <= policy.rollback.window_delta
    )
    if recent and history.has_previous:
        since = f"since the promotion at {history.promoted_at.isoformat()}"
        if perf_drop:
            return "rollback", [f"regression {since}: {perf_text}"]
        if any_drift and history.previous_fine:
            what = ", ".join(_drift_names(drifted, prediction_drift))
            return "rollback", [f"drift appeared only {since} while `previous` was fine: {what}"]
    reasons = []
    important = [f for f in drifted if f.weight >= policy.retrain.important_weight]
    if important:
        reasons.append("important features drifted: " + "; ".join(f.describe() for f in important))
    share = scores.weighted_share()
    if drifted and share >= policy.retrain.drift_share:
        reasons.append(
            f"{len(drifted)} of {len(scores.features)} features drifted (weighted share "
            f"{share:.2f} >= {policy.retrain.drift_share:g})"
        )
    if prediction_drift and policy.retrain.on_prediction_drift:
        reasons.append("prediction drift: " + scores.prediction.describe())
    if perf_drop:
        why = "no `previous` version to roll back to" if recent else "not right after a promotion"
        reasons.append(f"{perf_text}; {why}")
    if reasons:
        return "retrain", reasons
    unscored = scores.unscorable
    if any_drift or scores.missing or unscored:
        alerts = []
        if drifted:
            alerts.append(
                "drift below the retrain policy: " + "; ".join(f.describe() for f in drifted)
            )
        if prediction_drift:
            alerts.append(
                "prediction drift (policy does not retrain on it): " + scores.prediction.describe()
            )
        if scores.missing:
            alerts.append("columns missing from production profiles: " + ", ".join(scores.missing))
        if unscored:
            alerts.append(
                "columns that could not be scored: "
                + "; ".join(
                    f"{f.name} ({f.unscorable or 'the test could not run'})" for f in unscored
                )
            )
        return "alert-only", alerts
    return "none", [f"no drift in {len(scores.features)} features over {scores.rows} rows"]


def _drift_names(drifted, prediction_drift) -> list[str]:
    return [f.describe() for f in drifted] + ([PREDICTION] if prediction_drift else [])


def _stopped(action: str, policy: DriftPolicy, history: History) -> str | None:
    if action in history.running:
        return f"{action} not opened: a {action} run for this model is already in progress"
    last = history.last_opened.get(action)
    if last is not None and history.now - last < policy.cooldown_delta:
        return (
            f"{action} not opened: the last one was opened at {last.isoformat()}, "
            f"within the cooldown of {policy.cooldown}"
        )
    return None


Verdict = Literal["drift", "alert", "no drift", "no-data"]


def dataset_verdict(
    scores: DriftScores, policy: DriftPolicy, now: datetime
) -> tuple[Verdict, Decision]:
    """The verdict on one comparison outside the release loop (`slipway drift`).

    The same rules as the monitor's `decide` with no release history (so no rollback and no
    cooldown): `drift` when the policy would retrain (an important column, the weighted share,
    prediction drift); `alert` when a column is missing or could not be scored (never "no
    drift"); `no-data` under `min_rows`; otherwise `no drift`, even when a single column drifted
    below those rules (it is named in the decision's reasons).
    """
    decision = decide(scores, policy, History(now=now), no_data_reason="CURRENT has no rows")
    if decision.action == "no-data":
        return "no-data", decision
    if decision.action in OPENED_ACTIONS:
        return "drift", decision
    if scores.missing or scores.unscorable:
        return "alert", decision
    return "no drift", decision
