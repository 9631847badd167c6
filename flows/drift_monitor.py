"""`drift-monitor`: score the champion's production profiles of the last window against its
reference profile, decide under the policy, open `retrain` or `rollback`, report.

Actions (`act`): `auto` runs the `retrain` / `rollback` deployment (linked to this run) when it
is deployed, else calls that flow inline as a subflow (also linked); `deployment` insists on
the deployment; `inline` always calls the flow; `off` only decides.
"""

from __future__ import annotations

from prefect import flow, tags

from flows.retrain import retrain
from flows.rollback import rollback
from slipway.core.tags import drift_action_run_tag, model_run_tag
from slipway.drift import stage
from slipway.drift.params import ActionRecord, MonitorParams, MonitorResult
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
    name, (start, now) = params.model_name, stage.window_of(params)
    policy = load_drift_policy(params.policy)
    state = release_state(name)
    version, scores, window, reason = state.champion, None, None, stage.no_champion(params)
    if version is not None:
        bundle = fetch_bundle(name, version)
        reference = reference_profile(bundle, name, version)
        window = collect_window(name, version, start, now, params.variants)
        reason = stage.no_data(params, version, start, now, window)
        performance = (
            measure_performance(bundle, params.labelled, policy, name, state.previous)
            if params.labelled
            else None
        )
        scores = score_window(reference, window, policy, performance)
    history = stage.history_of(state, now, *action_history(name, policy.cooldown_delta))
    decision = decide_action(scores, policy, history, reason)
    result = MonitorResult(
        model_name=name,
        version=version,
        window_start=start,
        window_end=now,
        profiles=window.keys if window else [],
        skipped=window.skipped if window else {},
        scores=scores,
        decision=decision,
    )
    print(f"{name} v{version}: {decision.action}: " + " | ".join(decision.reasons))
    if decision.action in ("retrain", "rollback") and params.act != "off":
        result.action = open_action(decision.action, params, "; ".join(decision.reasons), policy)
    result.event_id = emit_drift_event(result)
    result.report = publish_report(result, now)
    return result


def open_action(action: str, params: MonitorParams, why: str, policy=None) -> ActionRecord:
    """The deployment when there is one (unless `inline`), else the flow inline as a subflow."""
    child = stage.action_params(action, params, why, policy)
    if params.act in ("auto", "deployment"):
        record = open_deployment(
            action, params.model_name, {"params": child.model_dump(mode="json")}
        )
        if record is not None:
            return record
        if params.act == "deployment":
            raise BadInput(
                f"deployment {action}/{action} is not deployed: run `prefect deploy --all` "
                "(see README 'Deployments') or use act=inline"
            )
    with tags(model_run_tag(params.model_name), drift_action_run_tag(action)):
        state = (retrain if action == "retrain" else rollback)(child, return_state=True)
    outcome = state.result(raise_on_failure=False)
    detail = (
        outcome.model_dump(mode="json")
        if hasattr(outcome, "model_dump")
        else {"error": str(outcome)}
    )
    return ActionRecord(
        action=action,
        via="inline",
        flow_run_id=str(state.state_details.flow_run_id),
        state=state.type.name,
        detail=detail,
    )


if __name__ == "__main__":
    drift_monitor()
