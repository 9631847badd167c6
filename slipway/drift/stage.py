"""drift-monitor as library functions: the window, what "no data" means, the decision's
history and the parameters of the action it opens. The flow (flows/drift_monitor.py) wires
these with the tasks that read the registry, the store and the Prefect API."""

from __future__ import annotations

from datetime import UTC, datetime

from slipway.core.drift import History
from slipway.core.drift_policy import DriftPolicy, parse_duration
from slipway.drift.history import ReleaseState
from slipway.drift.params import MonitorParams, RetrainParams, RollbackParams
from slipway.drift.scoring import WindowProfile


def window_of(params: MonitorParams) -> tuple[datetime, datetime]:
    """[start, end) of the production window to score (end: `now`, or the replay time)."""
    end = params.now or datetime.now(UTC)
    return end - parse_duration(params.window), end


def no_champion(params: MonitorParams) -> str:
    return (
        f"model {params.model_name!r} has no `champion` version: nothing serves, nothing to monitor"
    )


def no_data(
    params: MonitorParams, version: str, start: datetime, end: datetime, window: WindowProfile
) -> str:
    """Why the decision is `no-data` when the window holds no usable profile."""
    skipped = f"; {len(window.skipped)} empty or unreadable" if window.skipped else ""
    return (
        f"no usable production profiles for {params.model_name} v{version} "
        f"({'/'.join(params.variants)}) in {start.isoformat()} .. {end.isoformat()}{skipped}"
    )


def history_of(
    state: ReleaseState, now: datetime, running: frozenset[str], last_opened: dict[str, datetime]
) -> History:
    return History(
        now=now,
        promoted_at=state.promoted_at,
        has_previous=state.previous is not None,
        previous_fine=state.previous_fine,
        running=running,
        last_opened=last_opened,
    )


def action_params(
    action: str, params: MonitorParams, why: str, policy: DriftPolicy | None = None
) -> RetrainParams | RollbackParams:
    """The parameters of the retrain or rollback flow the monitor opens (the retrain's mix and
    held-out comparison from the policy's `retrain` rule)."""
    if action == "retrain":
        rule = (policy or DriftPolicy()).retrain
        return RetrainParams(
            model_name=params.model_name,
            reference=params.retrain_reference,
            labelled=params.labelled,
            arch=params.retrain_arch,
            labelled_share=rule.labelled_share,
            holdout=rule.holdout,
            max_regression=rule.max_regression,
            alpha=(policy or DriftPolicy()).rollback.alpha,
            targets=list(params.retrain_targets) if params.retrain_targets else None,
            reason=why,
        )
    return RollbackParams(model_name=params.model_name, reason=f"drift-monitor: {why}")
