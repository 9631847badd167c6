"""`drift-monitor`: score the champion's production profiles of the last window against its
reference profile, decide under the policy, open `retrain` or `rollback`, report.

Actions (`act`): `auto` runs the `retrain` / `rollback` deployment (linked to this run) when it
is deployed, else calls that flow inline as a subflow (also linked); `deployment` insists on
the deployment; `inline` always calls the flow; `off` only decides.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, tags

from slipway.core.drift import History
from slipway.core.drift_policy import parse_duration
from slipway.core.tags import drift_action_run_tag, model_run_tag
from slipway.drift.params import (
    ActionRecord,
    MonitorParams,
    MonitorResult,
    RetrainParams,
    RollbackParams,
)
from slipway.errors import BadInput
from tasks.drift import (
    action_history,
    collect_window,
    decide_action,
    emit_drift_event,
    fetch_bundle,
    load_drift_policy,
    measure_performance,
    open_deployment,
    publish_report,
    reference_profile,
    release_state,
    score_window,
)


@flow(name="drift-monitor", log_prints=True)
def drift_monitor(params: MonitorParams = MonitorParams()) -> MonitorResult:
    now = params.now or datetime.now(UTC)
    start = now - parse_duration(params.window)
    policy = load_drift_policy(params.policy)
    state = release_state(params.model_name)
    version, scores, window = state.champion, None, None
    reason = f"model {params.model_name!r} has no `champion` version: nothing serves, nothing to monitor"
    if version is not None:
        bundle = fetch_bundle(params.model_name, version)
        reference = reference_profile(bundle, params.model_name, version)
        window = collect_window(params.model_name, version, start, now, params.variants)
        reason = (f"no usable production profiles for {params.model_name} v{version} "
                  f"({'/'.join(params.variants)}) in {start.isoformat()} .. {now.isoformat()}"
                  + (f"; {len(window.skipped)} empty or unreadable" if window.skipped else ""))
        performance = (measure_performance(bundle, params.labelled, policy.performance_metric)
                       if params.labelled else None)
        scores = score_window(reference, window, policy, performance)
    running, last_opened = action_history(params.model_name)
    history = History(now=now, promoted_at=state.promoted_at, has_previous=state.previous is not None,
                      previous_fine=state.previous_fine, running=running, last_opened=last_opened)
    decision = decide_action(scores, policy, history, reason)
    result = MonitorResult(model_name=params.model_name, version=version, window_start=start, window_end=now,
                           profiles=window.keys if window else [], skipped=window.skipped if window else {},
                           scores=scores, decision=decision)
    print(f"{params.model_name} v{version}: {decision.action}: " + " | ".join(decision.reasons))
    if decision.action in ("retrain", "rollback") and params.act != "off":
        result.action = open_action(decision.action, params, "; ".join(decision.reasons))
    result.event_id = emit_drift_event(result)
    result.report = publish_report(result, now)
    return result


def open_action(action: str, params: MonitorParams, why: str) -> ActionRecord:
    """The deployment when there is one (unless `inline`), else the flow inline as a subflow."""
    if action == "retrain":
        child = RetrainParams(model_name=params.model_name, reference=params.retrain_reference,
                              labelled=params.labelled, reason=why)
    else:
        child = RollbackParams(model_name=params.model_name, reason=f"drift-monitor: {why}")
    if params.act in ("auto", "deployment"):
        record = open_deployment(action, params.model_name, {"params": child.model_dump(mode="json")})
        if record is not None:
            return record
        if params.act == "deployment":
            raise BadInput(f"deployment {action}/{action} is not deployed: run `prefect deploy --all` "
                           "(see README 'Deployments') or use act=inline")
    if action == "retrain":
        from flows.retrain import retrain as child_flow
    else:
        from flows.rollback import rollback as child_flow
    with tags(model_run_tag(params.model_name), drift_action_run_tag(action)):
        state = child_flow(child, return_state=True)
    outcome = state.result(raise_on_failure=False)
    detail = outcome.model_dump(mode="json") if hasattr(outcome, "model_dump") else {"error": str(outcome)}
    return ActionRecord(action=action, via="inline", flow_run_id=str(state.state_details.flow_run_id),
                        state=state.type.name, detail=detail)


if __name__ == "__main__":
    drift_monitor()
