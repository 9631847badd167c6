"""Tasks of the `canary-release` flow: thin wrappers over slipway.canary and the registry.

Every task that changes something writes the progress to the registry before it returns,
so the flow holds nothing that a crash could lose.
"""

from __future__ import annotations

import time

from prefect import task
from pydantic import BaseModel

from slipway.canary.params import CanaryParams, CanaryResult
from slipway.core.canary import analyze_step
from slipway.core.canary_state import (
    CanaryProgress,
    Resume,
    abort,
    record_source_error,
    record_window,
    resume_action,
)
from slipway.core.routing import Routing
from slipway.errors import BadInput, ConfigError
from slipway.registry import CHAMPION, open_registry


class Opening(BaseModel):
    action: Resume
    message: str
    progress: CanaryProgress


def _fresh(params: CanaryParams, version: str, champion: str | None) -> CanaryProgress:
    return CanaryProgress(
        version=version,
        champion_version=champion or "",
        policy=params.policy,
        plan=params.plan(),
        strategy=params.strategy,
    )


@task(name="open-canary")
def open_canary(params: CanaryParams) -> Opening:
    """Read the registry and decide: start, resume, or finish what a crashed run began."""
    registry = open_registry()
    version = registry.version_number(params.name, params.version)
    champion = registry.alias(params.name, CHAMPION)
    progress = registry.canary_progress(params.name, version)
    try:
        action, message = resume_action(
            version,
            progress,
            registry.routing(params.name),
            champion,
            registry.is_rejected(params.name, version),
        )
    except ValueError as exc:
        raise BadInput(f"model {params.name}: {exc}") from None
    if action == "start" and champion is None:
        raise BadInput(
            f"model {params.name} has no champion to compare version {version} with: "
            f"promote the first version with `slipway promote {params.name} {version}`"
        )
    if action == "start" or progress is None:
        progress = _fresh(params, version, champion)
        if action in ("finish_rollback", "already_rolled_back"):
            reason = registry.rejected_reason(params.name, version) or "rejected"
            progress = abort(progress, f"rejected before this run ({reason})")
        elif action in ("finish_promote", "already_promoted"):
            progress = progress.model_copy(
                update={"status": "promoting", "reason": "already champion"}
            )
    return Opening(
        action=action, message=f"{params.name} version {version}: {message}", progress=progress
    )


@task(name="check-evidence")
def check_evidence(name: str, version: str) -> list[str]:
    """The version's evidence bundle is complete and every gate passed (with a champion: the
    champion comparison too); the problems otherwise."""
    from slipway.core.evidence import promote_problems
    from slipway.registry import CHAMPION

    registry = open_registry()
    champion = registry.alias(name, CHAMPION)
    return promote_problems(
        registry.read_evidence(name, version), champion not in (None, str(version))
    )


@task(name="probe-metrics")
def probe_metrics(params: CanaryParams, champion: str) -> str:
    """Before any routing change: the metrics source answers and serves the model with this
    champion. Otherwise the run fails here (ConfigError) and nothing is changed: empty windows
    would reject a good version for want of a gateway."""
    from slipway.canary.metrics import MetricsUnavailable, metrics_source
    from slipway.canary.preflight import probe_source

    source = metrics_source(params.gateway_url, params.prometheus_url, params.metrics_api_key)
    try:
        return probe_source(source, params.name, champion, wait_s=max(5.0, 2 * params.settle_s))
    except MetricsUnavailable as exc:
        raise ConfigError(
            f"pre-flight of {params.name} version {params.version}: {exc}; nothing was changed "
            "(routing and the version as they were): run it again once the metrics source answers"
        ) from None


@task(name="infra-check")
def infra_check(name: str, version: str, timeout_s: float):
    """Load the serving artifact in a separate process and answer the input example."""
    from slipway.canary.infracheck import run_infra_check

    return run_infra_check(open_registry().download_bundle(name, version), timeout_s)


@task(name="begin-canary")
def begin_canary(name: str, progress: CanaryProgress) -> CanaryProgress:
    return open_registry().save_canary_progress(name, progress)


def _route_away(registry, name: str, version: str) -> None:
    """All traffic back to the champion, at once (routing only: the champion never stopped
    serving). Called right after an abort is saved, so a crash in between finishes the
    rollback on the rerun instead of resuming the canary."""
    routing = registry.routing(name)
    if routing.canary_version == version and routing.mode != "off":
        registry.set_routing(name, Routing())


def _routing_for(progress: CanaryProgress) -> Routing:
    """The step's routing; blue-green's warm step loads the version as the canary at 0 %."""
    step = progress.step
    if step.phase == "shadow":
        return Routing(mode="shadow", weight=0, canary_version=progress.version)
    return Routing(mode="canary", weight=step.weight, canary_version=progress.version)


@task(name="run-step")
def run_step(params: CanaryParams, progress: CanaryProgress) -> CanaryProgress:
    """Route the step's traffic, wait one window, analyse it, record it in the registry."""
    from slipway.canary.metrics import MetricsUnavailable, metrics_source

    registry = open_registry()
    champion = registry.alias(params.name, CHAMPION)
    if champion != progress.champion_version:
        moved = abort(
            progress,
            f"the champion moved from {progress.champion_version} to {champion} during the canary",
        )
        return registry.save_canary_progress(params.name, moved)
    wanted = _routing_for(progress)
    source = metrics_source(params.gateway_url, params.prometheus_url, params.metrics_api_key)
    if registry.routing(params.name) != wanted:
        registry.set_routing(params.name, wanted)
        time.sleep(params.settle_s)
        if progress.strategy == "blue-green" and progress.step.weight == 0:
            from slipway.canary.preflight import wait_loaded

            failed = wait_loaded(source, params.name, progress.version, params.warm_timeout_s)
            if failed is not None:
                aborted = abort(progress, f"warm-up failed: {failed}", ["warm_up"])
                registry.save_canary_progress(params.name, aborted)
                _route_away(registry, params.name, progress.version)
                return aborted
            print(f"version {progress.version} is loaded beside the champion: warm")
        elif progress.strategy == "blue-green" and progress.step.weight == 100:
            print(f"switched all traffic to version {progress.version}")
    step, started = progress.step, time.monotonic()
    try:
        mark = source.mark()
        time.sleep(step.seconds)
        window = source.window(
            mark, params.name, progress.champion_version, progress.version, step.phase
        )
    except MetricsUnavailable as exc:
        # errors are a window apart
        time.sleep(max(0.0, step.seconds - (time.monotonic() - started)))
        updated = record_source_error(progress, str(exc))
    else:
        analysis = analyze_step(window, progress.policy, progress.baseline, step.phase)
        updated = record_window(progress, window, analysis)
    registry.save_canary_progress(params.name, updated)
    if updated.status == "rolling_back":
        _route_away(registry, params.name, updated.version)
    print(updated.history[-1].line(len(updated.plan)))
    return updated


@task(name="abort-canary")
def abort_canary(
    name: str, progress: CanaryProgress, reason: str, failed: list[str] | None = None
) -> CanaryProgress:
    registry = open_registry()
    aborted = registry.save_canary_progress(name, abort(progress, reason, failed))
    _route_away(registry, name, progress.version)
    return aborted


@task(name="roll-back")
def roll_back(name: str, progress: CanaryProgress) -> CanaryProgress:
    """Weight 0 at once, then reject the version with the reason and the failed metrics; event."""
    from slipway import events

    registry = open_registry()
    _route_away(registry, name, progress.version)
    details = {
        "failed_metrics": progress.failed_metrics,
        "failures": progress.failures,
        "inconclusive": progress.inconclusive,
        "step": progress.step.label,
        "last_window": progress.history[-1].model_dump(mode="json") if progress.history else None,
    }
    if registry.alias(name, CHAMPION) != progress.version:
        registry.reject(
            name, progress.version, reason=f"canary: {progress.reason}", details=details
        )
    done = registry.save_canary_progress(
        name, progress.model_copy(update={"status": "rolled_back"})
    )
    events.emit(
        events.VERSION_ROLLED_BACK,
        name,
        progress.version,
        {
            "reason": progress.reason,
            "failed_metrics": progress.failed_metrics,
            "champion": progress.champion_version,
        },
    )
    back = " (traffic switched back to the champion)" if progress.strategy == "blue-green" else ""
    print(f"rolled back {name} version {progress.version}{back}: {progress.reason}")
    return done


@task(name="promote-version")
def promote_version(name: str, progress: CanaryProgress) -> CanaryProgress:
    """Through the guarded promote (tasks/promote.py), then routing off (the gateways hot-swap)."""
    from tasks.promote import guarded_promote

    registry = open_registry()
    if registry.alias(name, CHAMPION) != progress.version:
        guarded_promote(name, progress.version, f"canary: {progress.reason}", registry)
    routing = registry.routing(name)
    if routing.canary_version == progress.version and routing.mode != "off":
        registry.set_routing(name, Routing())
    print(f"promoted {name} version {progress.version} to champion")
    return registry.save_canary_progress(name, progress.model_copy(update={"status": "promoted"}))


@task(name="publish-report")
def publish_report(
    name: str, progress: CanaryProgress, preflight: list[str], nothing_to_do: bool = False
) -> CanaryResult:
    """The result, as a JSON file under the reports folder and a Prefect markdown artifact."""
    from prefect.artifacts import create_markdown_artifact

    from slipway.canary.report import artifact_key, markdown, write_report

    champion = open_registry().alias(name, CHAMPION)
    result = write_report(
        CanaryResult.from_progress(name, progress, champion, preflight, nothing_to_do=nothing_to_do)
    )
    create_markdown_artifact(
        markdown(result),
        key=artifact_key(result.name, result.version),
        description=result.summary[:500],
    )
    return result
