"""What the drift monitor reads and records outside the profiles: the release state in the
MLflow registry, its verdicts, and its monitoring run.

- A version's last verdict: model-version tags `slipway.drift.last_decision` / `..._checked`
  (so "`previous` was fine" = its last verdict, while it was champion, was `none`).
- When the champion was promoted: the version tag `slipway.promoted_at` (ISO 8601, set by
  the guarded promote), else unknown.
- Metrics: the champion's monitoring run (MLflow run `monitor-<name>-v<version>`).

The retrain/rollback runs it opened are Prefect flow runs: tasks/drift.py reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slipway.core import tags
from slipway.registry import CHAMPION, PREVIOUS, Registry


@dataclass(frozen=True)
class ReleaseState:
    champion: str | None
    previous: str | None
    promoted_at: datetime | None
    previous_fine: bool | None


def release_state(registry: Registry, name: str) -> ReleaseState:
    champion = registry.alias(name, CHAMPION)
    previous = registry.alias(name, PREVIOUS)
    promoted_at = previous_fine = None
    if champion is not None:
        promoted_at = registry.promoted_at(name, champion)
    if previous is not None:
        last = registry.drift_verdict(name, previous)
        previous_fine = None if last is None else last == "none"
    return ReleaseState(champion, previous, promoted_at, previous_fine)


def log_monitoring(
    name: str,
    version: str,
    metrics: dict[str, float],
    run_tags: dict[str, str],
    now: datetime,
    artifacts: dict[str, bytes],
) -> str:
    """Append the metrics (step = epoch seconds) to the champion's monitoring run; its id."""
    from slipway.tracking import stage_run

    key = f"{name}:{version}"
    with stage_run(
        "drift-monitor",
        run_name=f"monitor-{name}-v{version}",
        resume=(tags.MONITOR_RUN, key),
        tags={tags.MONITOR_RUN: key, **run_tags},
    ) as run:
        run.log_metrics(metrics, step=int(now.timestamp()))
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        for filename, data in artifacts.items():
            run.log_bytes(data, f"drift/{stamp}", filename)
    return run.run_id
