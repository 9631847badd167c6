"""Tasks of the drift loop (drift-monitor, rollback): thin wrappers over slipway's adapters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect import task

from slipway.core.drift import Decision, DriftScores, History, Performance, decide, in_progress
from slipway.core.drift_policy import DriftPolicy
from slipway.core.tags import DRIFT_LAST_DECISION, drift_action_run_tag, model_run_tag
from slipway.drift import history as drift_history
from slipway.drift import profiles, scoring
from slipway.drift import report as drift_report
from slipway.drift.params import ActionRecord, MonitorResult


@task(name="load-policy")
def load_drift_policy(path: str | None) -> DriftPolicy:
    from slipway.drift.policy_file import load_policy

    return load_policy(path)


@task(name="release-state", retries=1, retry_delay_seconds=1)
def release_state(name: str) -> drift_history.ReleaseState:
    from slipway.registry import open_registry

    return drift_history.release_state(open_registry(), name)


@task(name="fetch-bundle", retries=1, retry_delay_seconds=1)
def fetch_bundle(name: str, version: str) -> Path:
    from slipway.registry import open_registry

    return open_registry().download_bundle(name, version)


@task(name="reference-profile")
def reference_profile(bundle_dir: Path, name: str, version: str):
    from slipway.core.layout import REFERENCE_PROFILE
    from slipway.layout import read_reference_profile

    data = read_reference_profile(bundle_dir, what=f"model {name} version {version}")
    return profiles.deserialize(data, what=f"{name} v{version} {REFERENCE_PROFILE}")


@task(name="collect-window", retries=1, retry_delay_seconds=1)
def collect_window(
    name: str, version: str, start: datetime, end: datetime, variants: tuple[str, ...]
) -> scoring.WindowProfile:
    from slipway.store import open_store

    store = open_store()
    return scoring.load_window(
        store, scoring.list_window(store, name, version, start, end, variants)
    )


@task(name="measure-performance")
def measure_performance(
    bundle_dir: Path, labelled: str, policy: DriftPolicy, name: str, previous: str | None
) -> Performance:
    """The champion on the labelled window and, when there is a `previous` version, that one
    on the same rows (the counterfactual of a rollback; its failure is recorded, not raised)."""
    from slipway.data import read_table
    from slipway.errors import BadInput

    frame = read_table(labelled)
    collected = scoring.labelled_at(labelled, frame, policy.labels.time_column)
    previous_bundle = None
    if previous is not None:
        from slipway.registry import open_registry

        try:
            previous_bundle = (previous, open_registry().download_bundle(name, previous))
        except (BadInput, OSError) as exc:
            return scoring.performance_on(
                bundle_dir, frame, policy.performance_metric, collected_at=collected
            ).model_copy(update={"previous_error": f"its bundle could not be read: {exc}"})
    return scoring.performance_on(
        bundle_dir,
        frame,
        policy.performance_metric,
        previous=previous_bundle,
        alpha=policy.rollback.alpha,
        collected_at=collected,
    )


@task(name="score-window")
def score_window(
    reference, window: scoring.WindowProfile, policy: DriftPolicy, performance: Performance | None
) -> DriftScores | None:
    if window.view is None or window.rows == 0:
        return None
    return scoring.score(reference, window.view, policy, performance)


@task(name="action-history", retries=1, retry_delay_seconds=1)
def action_history(name: str, stale_after: timedelta) -> tuple[frozenset[str], dict[str, datetime]]:
    """(actions in progress, when each was last opened): the Prefect flow runs of `retrain` /
    `rollback` tagged `slipway.model:<name>`; scheduled, pending, running or paused ones count
    as in progress while updated within `stale_after` (the cooldown): an orphan left RUNNING
    by a dead worker does not block a retrain for ever."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowRunFilter

    running: set[str] = set()
    last: dict[str, datetime] = {}
    with get_client(sync_client=True) as client:
        for action in ("retrain", "rollback"):
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name={"any_": [action]}),
                flow_run_filter=FlowRunFilter(tags={"all_": [model_run_tag(name)]}),
                limit=50,
            )
            now = datetime.now(UTC)
            for run in runs:
                state = run.state_type.name if run.state_type is not None else None
                if in_progress(state, last_update(run), now, stale_after):
                    running.add(action)
                if run.created is not None and (action not in last or run.created > last[action]):
                    last[action] = run.created
    return frozenset(running), last


def last_update(run) -> datetime | None:
    """The latest sign of life of a flow run: its row's update or its state's timestamp."""
    stamps = [t for t in (run.updated, run.state.timestamp if run.state else None) if t]
    return max(stamps) if stamps else None


@task(name="decide")
def decide_action(
    scores: DriftScores | None, policy: DriftPolicy, history: History, no_data_reason: str
) -> Decision:
    return decide(scores, policy, history, no_data_reason)


@task(name="open-deployment")
def open_deployment(action: str, name: str, parameters: dict) -> ActionRecord | None:
    """run_deployment of `<action>/<action>`, linked to this run; None when it is not deployed."""
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    try:
        run = run_deployment(
            name=f"{action}/{action}",
            parameters=parameters,
            timeout=0,
            tags=[model_run_tag(name), drift_action_run_tag(action)],
        )
    except ObjectNotFound:
        return None
    state = run.state.type.name if run.state is not None else None
    return ActionRecord(
        action=action,
        via="deployment",
        flow_run_id=str(run.id),
        state=state,
        detail={"deployment": f"{action}/{action}"},
    )


def _artifact_key(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


@task(name="publish-report", retries=1, retry_delay_seconds=1)
def publish_report(result: MonitorResult, now: datetime) -> dict[str, str]:
    """JSON + PNG + markdown to the artifact store, Prefect artifacts, MLflow monitoring run."""
    from prefect.artifacts import create_image_artifact, create_markdown_artifact

    from slipway.settings import get_settings
    from slipway.store import open_store

    store = open_store()
    stamp = now.strftime(scoring.WINDOW_FORMAT)
    prefix = f"drift/{result.model_name}/{result.version or 'none'}/{stamp}"
    report: dict[str, str] = {}
    files: dict[str, bytes] = {}
    if result.scores is not None:
        title = (
            f"{result.model_name} v{result.version}: drift per column vs threshold "
            f"({result.decision.action})"
        )
        files["drift.png"] = drift_report.chart_png(result.scores, title)
        report["png"] = store.put_bytes(f"{prefix}/drift.png", files["drift.png"])
        local = get_settings().reports_dir / "drift" / f"{result.model_name}-{stamp}.png"
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(files["drift.png"])
        report["png_local"] = str(local)
    text = drift_report.markdown(result, report.get("png"))
    files["report.md"] = text.encode()
    report["json"] = store.uri(f"{prefix}/report.json")
    key = _artifact_key(f"drift-{result.model_name}")
    create_markdown_artifact(
        markdown=text, key=key, description=f"drift decision: {result.decision.action}"
    )
    if "png_local" in report:
        create_image_artifact(
            image_url=Path(report["png_local"]).as_uri(),
            key=f"{key}-chart",
            description="per-column drift statistic (bars) against its threshold (ticks)",
        )
    if result.version is not None:
        from slipway.registry import open_registry

        open_registry().record_drift_verdict(
            result.model_name, result.version, result.decision.action, now
        )
        files["report.json"] = (
            result.model_copy(update={"report": report}).model_dump_json(indent=2).encode()
        )
        report["mlflow_run_id"] = drift_history.log_monitoring(
            result.model_name,
            result.version,
            drift_report.metrics(result),
            {DRIFT_LAST_DECISION: result.decision.action},
            now,
            files,
        )
    final = result.model_copy(update={"report": report}).model_dump_json(indent=2)
    store.put_text(f"{prefix}/report.json", final)
    return report


@task(name="emit-drift-event")
def emit_drift_event(result: MonitorResult) -> str | None:
    from slipway import events

    decision = result.decision
    if decision.action == "none":
        return None
    event = events.DRIFT_NO_DATA if decision.action == "no-data" else events.DRIFT_DETECTED
    payload = {
        "decision": decision.action,
        "reasons": decision.reasons,
        "drifted": decision.drifted,
        "suppressed": decision.suppressed,
        "opened": result.action.model_dump(mode="json") if result.action else None,
    }
    return events.emit(event, result.model_name, result.version, payload)
