"""Canary progress as a state machine: the plan of steps, the counters, the decision.

Pure. The whole `CanaryProgress` is small JSON that lives in the registry (a tag on the
model version), so a rerun after a crash resumes exactly where the last write left it.

Two strategies share this machine (a strategy is only a plan):
- canary: an optional shadow phase, then increasing weights (5, 25, 50, 100 %);
- blue-green: the new version loaded beside the champion at 0 % (a `warm` window that also
  measures the champion's baseline) or a shadow phase, then 100 % at once for one bake window,
  judged against that baseline (at 100 % the champion answers nobody).

Semantics (the README repeats them):
- a step advances only on a passing window; the last passing step promotes;
- every failed check counts against `failure_limit`, over the whole canary; above it: abort;
- an inconclusive window (too few requests, no data) repeats the step and counts against
  `inconclusive_limit`; above it: abort. It is never a pass;
- a metric-source error repeats the step; `source_error_limit` errors in a row abort;
- nothing is promoted on missing data: promotion needs a pass at the last step.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from slipway.core.canary import CanaryPolicy, StepAnalysis, StepWindow, VariantWindow, describe
from slipway.core.routing import Routing

Phase = Literal["warm", "shadow", "canary"]
Strategy = Literal["canary", "blue-green"]
STRATEGIES: tuple[str, ...] = ("canary", "blue-green")
Status = Literal["running", "promoting", "promoted", "rolling_back", "rolled_back"]
Outcome = Literal["pass", "fail", "inconclusive", "source_error"]
Resume = Literal[
    "start",
    "resume",
    "finish_promote",
    "finish_rollback",
    "already_promoted",
    "already_rolled_back",
]
HISTORY_LIMIT = 60


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phase: Phase
    weight: int = Field(ge=0, le=100)
    """Percent of live traffic on the canary (0 in the warm and shadow phases)."""
    seconds: float = Field(gt=0)

    @property
    def label(self) -> str:
        return self.phase if self.phase in ("warm", "shadow") else f"{self.weight}%"


def plan_steps(steps: list[int], interval_s: float, shadow_s: float | None = None) -> list[Step]:
    """The steps in order: an optional shadow phase, then the canary weights."""
    if not steps:
        raise ValueError("steps: give at least one canary weight, e.g. 5,25,50,100")
    if any(not 1 <= w <= 100 for w in steps):
        raise ValueError(f"steps {steps}: every weight must be between 1 and 100 percent")
    if any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
        raise ValueError(f"steps {steps}: weights must increase strictly")
    if interval_s <= 0:
        raise ValueError(f"interval_s {interval_s}: must be positive seconds")
    if shadow_s is not None and shadow_s <= 0:
        raise ValueError(
            f"shadow_s {shadow_s}: must be positive seconds (or omit it for no shadow phase)"
        )
    plan = [Step(phase="shadow", weight=0, seconds=shadow_s)] if shadow_s else []
    return plan + [Step(phase="canary", weight=w, seconds=interval_s) for w in steps]


def plan_blue_green(bake_s: float, shadow_s: float | None = None) -> list[Step]:
    """Blue-green: a first window at 0 % with the new version loaded beside the champion (a
    shadow phase when `shadow_s` is given, else a `warm` window as long as the bake), then all
    traffic at once for one bake window. The first window is also the champion's baseline,
    which the bake is judged against."""
    if bake_s <= 0:
        raise ValueError(f"bake_s {bake_s}: must be positive seconds")
    if shadow_s is not None and shadow_s <= 0:
        raise ValueError(
            f"shadow_s {shadow_s}: must be positive seconds (or omit it for no shadow phase)"
        )
    first = (
        Step(phase="shadow", weight=0, seconds=shadow_s)
        if shadow_s
        else Step(phase="warm", weight=0, seconds=bake_s)
    )
    return [first, Step(phase="canary", weight=100, seconds=bake_s)]


def plan_for(
    strategy: Strategy,
    steps: list[int],
    interval_s: float,
    shadow_s: float | None = None,
    bake_s: float | None = None,
) -> list[Step]:
    """The plan of a strategy: canary weights, or blue-green's switch (bake: `bake_s`, else
    `interval_s`)."""
    if strategy == "blue-green":
        return plan_blue_green(bake_s if bake_s is not None else interval_s, shadow_s)
    if strategy != "canary":
        raise ValueError(f"strategy {strategy!r}: choose from {', '.join(STRATEGIES)}")
    return plan_steps(steps, interval_s, shadow_s)


class WindowRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    step_index: int
    step: Step
    outcome: Outcome
    analysis: StepAnalysis | None = None
    error: str = ""

    def line(self, total: int) -> str:
        head = f"step {self.step_index + 1}/{total} {self.step.label}"
        if self.analysis is None:
            return f"{head}: metrics source error: {self.error}"
        return f"{head}: {describe(self.analysis)}"


class CanaryProgress(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    champion_version: str
    """The champion the canary is compared with; if it changes mid-way, the canary aborts."""
    plan: list[Step]
    strategy: Strategy = "canary"
    policy: CanaryPolicy = CanaryPolicy()
    status: Status = "running"
    step_index: int = 0
    failures: int = 0
    inconclusive: int = 0
    source_errors: int = 0
    """Consecutive: reset by any window that was read."""
    baseline: VariantWindow = VariantWindow()
    """The champion's windows so far, summed: stands in when the champion has too few requests."""
    history: list[WindowRecord] = Field(default_factory=list)
    reason: str = ""
    failed_metrics: list[str] = Field(default_factory=list)
    approved: bool = False

    @field_validator("plan")
    @classmethod
    def _non_empty(cls, plan: list[Step]) -> list[Step]:
        if not plan:
            raise ValueError("a canary needs at least one step")
        return plan

    @property
    def step(self) -> Step:
        return self.plan[min(self.step_index, len(self.plan) - 1)]

    @property
    def is_last_step(self) -> bool:
        return self.step_index >= len(self.plan) - 1

    @property
    def finished(self) -> bool:
        return self.status in ("promoted", "rolled_back")


def _with_record(progress: CanaryProgress, record: WindowRecord, **changes) -> CanaryProgress:
    history = [*progress.history, record][-HISTORY_LIMIT:]
    return progress.model_copy(update={"history": history, **changes})


def abort(
    progress: CanaryProgress, reason: str, failed_metrics: list[str] | None = None
) -> CanaryProgress:
    """Start a rollback (the caller sets weight 0 first, then rejects the version)."""
    metrics = list(dict.fromkeys([*progress.failed_metrics, *(failed_metrics or [])]))
    return progress.model_copy(
        update={"status": "rolling_back", "reason": reason, "failed_metrics": metrics}
    )


def _require_running(progress: CanaryProgress) -> None:
    if progress.status != "running":
        raise ValueError(f"canary of version {progress.version} is {progress.status}, not running")


def record_source_error(progress: CanaryProgress, message: str) -> CanaryProgress:
    _require_running(progress)
    record = WindowRecord(
        step_index=progress.step_index, step=progress.step, outcome="source_error", error=message
    )
    errors = progress.source_errors + 1
    updated = _with_record(progress, record, source_errors=errors)
    if errors >= progress.policy.source_error_limit:
        return abort(
            updated,
            f"metrics source failed {errors} times in a row at step {progress.step.label}: "
            f"{message}",
        )
    return updated


def record_window(
    progress: CanaryProgress, window: StepWindow, analysis: StepAnalysis
) -> CanaryProgress:
    """Fold one analysed window into the progress: advance, repeat, promote or abort."""
    _require_running(progress)
    policy, step = progress.policy, progress.step
    record = WindowRecord(
        step_index=progress.step_index, step=step, outcome=analysis.status, analysis=analysis
    )
    updated = _with_record(
        progress, record, source_errors=0, baseline=progress.baseline + window.champion
    )
    where = f"step {progress.step_index + 1}/{len(progress.plan)} ({step.label})"
    if analysis.status == "pass":
        if progress.is_last_step:
            return updated.model_copy(
                update={"status": "promoting", "reason": f"every step passed, last {where}"}
            )
        return updated.model_copy(update={"step_index": progress.step_index + 1})
    if analysis.status == "fail":
        failed = analysis.failed()
        failures = progress.failures + len(failed)
        updated = updated.model_copy(update={"failures": failures})
        if failures > policy.failure_limit:
            why = "; ".join(f"{c.metric}: {c.detail}" for c in failed)
            return abort(
                updated,
                f"analysis failed at {where}: {why} ({failures} failed checks, limit "
                f"{policy.failure_limit})",
                [c.metric for c in failed],
            )
        return updated
    inconclusive = progress.inconclusive + 1
    updated = updated.model_copy(update={"inconclusive": inconclusive})
    if inconclusive > policy.inconclusive_limit:
        why = "; ".join(dict.fromkeys(c.detail for c in analysis.inconclusive())) or "no data"
        return abort(
            updated,
            f"inconclusive at {where}: {why} ({inconclusive} inconclusive windows, limit "
            f"{policy.inconclusive_limit}); nothing is promoted on missing data",
        )
    return updated


def resume_action(
    version: str,
    progress: CanaryProgress | None,
    routing: Routing,
    champion: str | None,
    rejected: bool,
) -> tuple[Resume, str]:
    """What a (re)run of the canary of `version` must do, from what the registry holds now.

    Raises ValueError when another version's canary holds the routing.
    """
    routed_here = routing.mode != "off" and routing.canary_version == str(version)
    if rejected:
        if routed_here or (progress is not None and progress.status != "rolled_back"):
            return (
                "finish_rollback",
                "the version is rejected but its rollback did not finish: finishing it",
            )
        return "already_rolled_back", "the version was already rejected"
    if champion == str(version):
        if routed_here or (progress is not None and progress.status != "promoted"):
            return (
                "finish_promote",
                "the version is champion but the promotion did not finish: finishing it",
            )
        return "already_promoted", "the version is already the champion"
    if routing.mode != "off" and routing.canary_version not in (None, str(version)):
        raise ValueError(
            f"version {routing.canary_version} is in a canary ({routing.mode}, {routing.weight}%): "
            "let it finish, or rerun its canary to finish or abort it"
        )
    if progress is not None:
        if progress.status == "running":
            return (
                "resume",
                f"resuming at step {progress.step_index + 1}/{len(progress.plan)} "
                f"({progress.step.label})",
            )
        if progress.status == "promoting":
            return (
                "finish_promote",
                "the last step passed but the promotion did not happen: promoting",
            )
        if progress.status == "rolling_back":
            return "finish_rollback", f"an abort did not finish: {progress.reason}"
    return "start", "starting a new canary"
