"""The drift decision: scores in, one action out. Pure (no whylogs, Prefect or MLflow).

The column verdicts (`FeatureScore`, `judge`, `judge_columns`) live in
`slipway.core.drift_verdicts`, with the error rate controlled over a comparison's columns;
`decide` turns a window's verdicts, the performance on labelled data and the release history
into one of `none`, `retrain`, `rollback`, `alert-only` or `no-data`, with the reasons and the
drifted features named. Cooldown and de-duplication: an action already running, or one opened
within the cooldown, is not opened again (the result is `alert-only`, saying why).

The action that repairs (issue 22):
- a labelled window carries a decision only with at least `labels.min_rows` rows collected
  within `labels.max_age`; otherwise the decision is at most `alert-only`, naming the count;
- counterfactual rollback: with labels, `previous` was evaluated on the same rows
  (`Performance.previous`, the paired test of `slipway.core.comparison`); a rollback happens
  only when it is better beyond the noise, otherwise the regression is retrained, saying why;
  without labels the drift-after-promotion rule still rolls back, saying it could not compare;
- drift asks for a retrain only with a usable labelled window (`retrain.require_labels`):
  a retrain on the reference data alone would reproduce the same model.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from slipway.core.comparison import Comparison
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


class Counterfactual(BaseModel):
    """`previous` and the champion on the same labelled rows: would a rollback repair?"""

    model_config = ConfigDict(frozen=True)

    version: str
    metric: str
    previous: float
    champion: float
    rows: int
    test: str
    p_value: float
    better: bool
    """`previous` is better than the champion beyond the noise (one-sided p < alpha)."""

    @classmethod
    def of(cls, version: str, comparison: Comparison) -> Counterfactual:
        """From `compare_*(y, pred_previous, pred_champion, require_improvement=True)`."""
        return cls(
            version=str(version),
            metric=comparison.metric,
            previous=comparison.candidate,
            champion=comparison.champion,
            rows=comparison.rows,
            test=comparison.test,
            p_value=comparison.p_value,
            better=comparison.passed,
        )

    def describe(self) -> str:
        return (
            f"`previous` v{self.version} {self.metric} {self.previous:.4f} vs the champion's "
            f"{self.champion:.4f} on the same {self.rows} labelled rows ({self.test}, "
            f"p={self.p_value:.3g})"
        )


class Performance(BaseModel):
    """The champion's metric on labelled window data against its value at release."""

    model_config = ConfigDict(frozen=True)

    metric: str
    baseline: float
    current: float
    rows: int
    previous: Counterfactual | None = None
    """`previous` on the same rows (None: no `previous`, or it could not be evaluated)."""
    previous_error: str | None = None
    """Why `previous` could not be evaluated (when there is one)."""
    collected_at: datetime | None = None
    """When the labelled window was collected (None: unknown, taken as fresh)."""

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


def labels_problem(perf: Performance | None, policy: DriftPolicy, now: datetime) -> str | None:
    """Why a labelled window cannot carry a decision (too few rows, too old); None if it can."""
    if perf is None:
        return None
    rule = policy.labels
    if perf.rows < rule.min_rows:
        return (
            f"only {perf.rows} labelled rows (policy labels.min_rows {rule.min_rows}): too few "
            "to decide on"
        )
    if perf.collected_at is not None and now - perf.collected_at > rule.max_age_delta:
        age = now - perf.collected_at
        return (
            f"the labelled window was collected {_age(age)} ago (policy labels.max_age "
            f"{rule.max_age}): too old to decide on"
        )
    return None


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


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
    unusable = labels_problem(scores.performance, policy, history.now)
    perf = None if unusable else scores.performance
    perf_drop = perf is not None and perf.drop > policy.rollback.max_performance_drop
    any_drift = bool(drifted) or prediction_drift
    action, reasons, held = _propose(
        scores, perf, policy, history, drifted, prediction_drift, perf_drop, any_drift
    )
    if unusable:
        raw = scores.performance
        if raw.drop > policy.rollback.max_performance_drop:
            reasons = [*reasons, f"{_perf_text(raw, policy)}, but {unusable}"]
            held = held or "retrain"
        else:
            reasons = [*reasons, f"labelled window not used: {unusable}"]
        if action in OPENED_ACTIONS or held:
            return Decision(
                action="alert-only",
                reasons=reasons,
                drifted=names,
                suppressed=action if action in OPENED_ACTIONS else held,
            )
    if action in OPENED_ACTIONS:
        stop = _stopped(action, policy, history)
        if stop:
            return Decision(
                action="alert-only", reasons=[*reasons, stop], drifted=names, suppressed=action
            )
    return Decision(action=action, reasons=reasons, drifted=names, suppressed=held)


def _perf_text(perf: Performance, policy: DriftPolicy) -> str:
    return (
        f"{perf.metric} fell from {perf.baseline:.4f} to {perf.current:.4f} "
        f"(drop {perf.drop:.4f} > limit {policy.rollback.max_performance_drop:g}, "
        f"{perf.rows} labelled rows)"
    )


NO_LABELS = "no labelled window: could not compare `previous` with the champion"


def _propose(scores, perf, policy, history, drifted, prediction_drift, perf_drop, any_drift):
    """(action, reasons, the action held back for want of labels or None)."""
    perf_text = _perf_text(perf, policy) if perf_drop else ""
    recent = history.promoted_at is not None and (
        history.now - history.promoted_at <= policy.rollback.window_delta
    )
    reasons: list[str] = []
    if recent and history.has_previous:
        since = f"since the promotion at {history.promoted_at.isoformat()}"
        cf = perf.previous if perf is not None else None
        cannot = (
            NO_LABELS
            if perf is None
            else "could not evaluate `previous` on the labelled rows"
            + (f" ({perf.previous_error})" if perf.previous_error else "")
        )
        verdict = _repairs(cf, perf, policy) if cf is not None else None
        if verdict is None and cf is not None:
            what = f"regression {since}: {perf_text}" if perf_drop else f"worse {since}"
            return "rollback", [what, f"{cf.describe()}: better beyond the noise"], None
        if perf_drop and cf is None:
            return "rollback", [f"regression {since}: {perf_text}", cannot], None
        if perf_drop:
            reasons.append(
                f"regression {since}: {perf_text}; not rolled back: {cf.describe()}: {verdict}, "
                "so a rollback would not repair it"
            )
        elif any_drift and history.previous_fine:
            what = ", ".join(_drift_names(drifted, prediction_drift))
            text = f"drift appeared only {since} while `previous` was fine: {what}"
            if cf is None:
                return "rollback", [text, cannot], None
            reasons.append(f"{text}; not rolled back: {cf.describe()}: {verdict}")
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
    if perf_drop and not (recent and history.has_previous):
        why = "no `previous` version to roll back to" if recent else "not right after a promotion"
        reasons.append(f"{perf_text}; {why}")
    if reasons and perf is None and policy.retrain.require_labels:
        return (
            "alert-only",
            [
                *reasons,
                f"not retrained: a retrain needs a labelled window of at least "
                f"{policy.labels.min_rows} rows (`--labelled`), or it reproduces the same model "
                "(policy retrain.require_labels)",
            ],
            "retrain",
        )
    if reasons:
        return "retrain", reasons, None
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
        return "alert-only", alerts, None
    return "none", [f"no drift in {len(scores.features)} features over {scores.rows} rows"], None


def _repairs(cf: Counterfactual, perf: Performance, policy: DriftPolicy) -> str | None:
    """None when rolling back to `previous` repairs: it is better than the champion beyond the
    noise AND within `max_performance_drop` of the level the champion was released at (a
    `previous` that is merely less wrong, 0.12 against 0.08 on inverted digits, repairs
    nothing); otherwise why not."""
    if not cf.better:
        return "no better beyond the noise"
    limit = policy.rollback.max_performance_drop
    if perf.baseline - cf.previous > limit:
        return (
            f"better beyond the noise but itself {perf.baseline - cf.previous:.4f} below the "
            f"release level {perf.baseline:.4f} (limit {limit:g})"
        )
    return None


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
    # no labels and nothing to retrain here: the verdict is what the retrain rules say
    retrain = policy.retrain.model_copy(update={"require_labels": False})
    decision = decide(
        scores,
        policy.model_copy(update={"retrain": retrain}),
        History(now=now),
        no_data_reason="CURRENT has no rows",
    )
    if decision.action == "no-data":
        return "no-data", decision
    if decision.action in OPENED_ACTIONS:
        return "drift", decision
    if scores.missing or scores.unscorable:
        return "alert", decision
    return "no drift", decision
