"""What the drift monitor reads and records outside the profiles: the release state in the
MLflow registry, the retrain/rollback runs it opened (Prefect API), and its verdicts.

- A version's last verdict: model-version tags `slipway.drift.last_decision` / `..._at`
  (so "`previous` was fine" = its last verdict, while it was champion, was `none`).
- When the champion was promoted: the version tag `slipway.promoted_at` (ISO 8601, set by
  the guarded promote), else unknown.
- Opened actions: Prefect flow runs of `retrain` / `rollback` tagged `slipway.model:<name>`;
  scheduled, pending or running ones count as in progress.
- Metrics: the champion's monitoring run (MLflow run `monitor-<name>-v<version>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

LAST_DECISION_TAG = "slipway.drift.last_decision"
LAST_CHECKED_TAG = "slipway.drift.last_checked"
PROMOTED_AT_TAG = "slipway.promoted_at"
MONITOR_RUN_TAG = "slipway.monitor.model_version"
IN_PROGRESS = ("SCHEDULED", "PENDING", "RUNNING", "PAUSED")


def model_tag(name: str) -> str:
    return f"slipway.model:{name}"


@dataclass(frozen=True)
class ReleaseState:
    champion: str | None
    previous: str | None
    promoted_at: datetime | None
    previous_fine: bool | None


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def release_state(name: str) -> ReleaseState:
    from slipway import registry

    c = registry.client()
    champion = registry.alias_version(name, registry.CHAMPION, c)
    previous = registry.alias_version(name, registry.PREVIOUS, c)
    promoted_at = previous_fine = None
    if champion is not None:
        promoted_at = _parse_time(c.get_model_version(name, champion).tags.get(PROMOTED_AT_TAG))
    if previous is not None:
        last = c.get_model_version(name, previous).tags.get(LAST_DECISION_TAG)
        previous_fine = None if last is None else last == "none"
    return ReleaseState(champion, previous, promoted_at, previous_fine)


def record_verdict(name: str, version: str, action: str, now: datetime) -> None:
    from slipway import registry

    c = registry.client()
    c.set_model_version_tag(name, version, LAST_DECISION_TAG, action)
    c.set_model_version_tag(name, version, LAST_CHECKED_TAG, now.isoformat())


def action_history(name: str) -> tuple[frozenset[str], dict[str, datetime]]:
    """(actions in progress, when each action was last opened) for this model."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowRunFilter

    running: set[str] = set()
    last: dict[str, datetime] = {}
    with get_client(sync_client=True) as client:
        for action in ("retrain", "rollback"):
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name={"any_": [action]}),
                flow_run_filter=FlowRunFilter(tags={"all_": [model_tag(name)]}),
                limit=50,
            )
            for run in runs:
                if run.state_type is not None and run.state_type.name in IN_PROGRESS:
                    running.add(action)
                if run.created is not None and (action not in last or run.created > last[action]):
                    last[action] = run.created
    return frozenset(running), last


def log_monitoring(name: str, version: str, metrics: dict[str, float], tags: dict[str, str],
                   now: datetime, artifacts: dict[str, bytes]) -> str:
    """Append the metrics (step = epoch seconds) to the champion's monitoring run; its id."""
    import mlflow

    from slipway.tracking import configure_mlflow

    experiment_id = configure_mlflow()
    key = f"{name}:{version}"
    found = mlflow.search_runs(experiment_ids=[experiment_id], max_results=1, output_format="list",
                               filter_string=f"tags.`{MONITOR_RUN_TAG}` = '{key}'")
    run_id = found[0].info.run_id if found else None
    with mlflow.start_run(run_id=run_id, experiment_id=experiment_id,
                          run_name=None if run_id else f"monitor-{name}-v{version}") as run:
        mlflow.set_tags({MONITOR_RUN_TAG: key, "slipway.stage": "drift-monitor", **tags})
        mlflow.log_metrics(metrics, step=int(now.timestamp()))
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        for filename, data in artifacts.items():
            _log_bytes(data, f"drift/{stamp}", filename)
        return run.info.run_id


def _log_bytes(data: bytes, folder: str, filename: str) -> None:
    import tempfile
    from pathlib import Path

    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / filename
        path.write_bytes(data)
        mlflow.log_artifact(str(path), artifact_path=folder)
