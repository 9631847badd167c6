"""The canary-release flow's parameters and result (the Prefect UI shows the form).

One flow, two strategies: `canary` (increasing weights) and `blue-green` (the new version
loaded beside the champion at 0 %, then all traffic at once for a bake window). A rollback
ends the flow run Failed (`CanaryRolledBack`, carrying the result), so the Prefect UI shows it
red while callers still get the analysis."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from slipway.core.canary import CanaryPolicy
from slipway.core.canary_state import CanaryProgress, Step, Strategy, WindowRecord, plan_for
from slipway.errors import GateFailed

DEFAULT_GATEWAY_URL = "http://127.0.0.1:8080"


def default_gateway_url() -> str:
    """`SLIPWAY_GATEWAY_URL` when set (a deployment's job variable), else the local gateway."""
    from slipway.settings import get_settings

    return get_settings().gateway_url or DEFAULT_GATEWAY_URL


def default_prometheus_url() -> str | None:
    from slipway.settings import get_settings

    return get_settings().prometheus_url


class CanaryParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="registered model name")
    version: str = Field(
        description="the version to release: a number or an alias such as `candidate`"
    )
    strategy: Strategy = Field(
        "canary",
        description="canary: traffic in increasing steps; blue-green: the new version warmed "
        "at 0 %, then all traffic at once for one bake window (steps are not used)",
    )
    steps: list[int] = Field(
        default_factory=lambda: [5, 25, 50, 100],
        description="canary weights in percent, strictly increasing",
    )
    interval_s: float = Field(60.0, gt=0, description="analysis window per step")
    bake_s: float | None = Field(
        None, gt=0, description="blue-green: the bake window at 100 % (default: interval_s)"
    )
    warm_timeout_s: float = Field(
        60.0, gt=0, description="blue-green: how long the gateways may take to load the version"
    )
    shadow_s: float | None = Field(
        None, gt=0, description="a shadow phase of this length first (mirrored traffic)"
    )
    settle_s: float = Field(
        5.0, ge=0, description="wait after a routing change (the gateways' poll interval)"
    )
    policy: CanaryPolicy = Field(default_factory=CanaryPolicy)
    gateway_url: str | None = Field(
        default_factory=default_gateway_url,
        description="its /metrics is the metrics source unless prometheus_url is set; several "
        "replicas: their URLs separated by commas (counters summed) (default: "
        "SLIPWAY_GATEWAY_URL, else http://127.0.0.1:8080)",
    )
    prometheus_url: str | None = Field(
        default_factory=default_prometheus_url,
        description="a Prometheus server that scrapes the gateways (default: "
        "SLIPWAY_PROMETHEUS_URL)",
    )
    metrics_api_key: str | None = Field(
        None, description="bearer token for the gateway's /metrics, if it wants one"
    )
    approve_before_last: bool = Field(
        False, description="pause for a person's approval before the last step"
    )
    approval_timeout_s: int = Field(3600, gt=0)
    infra_check_timeout_s: float = Field(120.0, gt=0)

    @field_validator("name", "version")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not str(value).strip():
            raise ValueError("must not be blank")
        return str(value).strip()

    def plan(self) -> list[Step]:
        return plan_for(self.strategy, self.steps, self.interval_s, self.shadow_s, self.bake_s)

    @model_validator(mode="after")
    def _plan_is_valid(self) -> CanaryParams:
        self.plan()
        if not (self.gateway_url or self.prometheus_url):
            raise ValueError(
                "give gateway_url (its /metrics) or prometheus_url as the metrics source"
            )
        return self


class CanaryResult(BaseModel):
    name: str
    version: str
    decision: Literal["promote", "rollback"]
    reason: str
    strategy: Strategy = "canary"
    nothing_to_do: bool = False
    """The version already was the champion when the run began."""
    champion_before: str | None
    champion_after: str | None
    steps: list[WindowRecord] = Field(default_factory=list)
    """Every analysed window (and metric-source error), in order."""
    plan: list[str] = Field(default_factory=list)
    """The steps' labels: shadow, 5%, 25%, ..."""
    failed_metrics: list[str] = Field(default_factory=list)
    preflight: list[str] = Field(default_factory=list)
    report: str | None = None
    summary: str

    @classmethod
    def from_progress(
        cls,
        name: str,
        progress: CanaryProgress,
        champion_after: str | None,
        preflight: list[str],
        report: str | None = None,
        nothing_to_do: bool = False,
    ) -> CanaryResult:
        promoted = progress.status in ("promoting", "promoted")
        decision = "promote" if promoted else "rollback"
        passed = sum(1 for r in progress.history if r.outcome == "pass")
        verb = "promoted to champion" if promoted else "rolled back"
        how = "blue-green; " if progress.strategy == "blue-green" else ""
        summary = (
            f"{name} version {progress.version} {verb} after {len(progress.history)} windows "
            f"({how}{passed} passed, {progress.failures} failed checks, {progress.inconclusive} "
            "inconclusive): "
            f"{progress.reason}"
        )
        reason = progress.reason
        if nothing_to_do:
            reason = "already the champion: nothing to do"
            summary = f"{name} version {progress.version} is {reason}"
        return cls(
            name=name,
            version=progress.version,
            decision=decision,
            reason=reason,
            strategy=progress.strategy,
            nothing_to_do=nothing_to_do,
            champion_before=progress.champion_version,
            champion_after=champion_after,
            steps=list(progress.history),
            plan=[s.label for s in progress.plan],
            failed_metrics=list(progress.failed_metrics),
            preflight=preflight,
            report=report,
            summary=summary,
        )

    def lines(self) -> list[str]:
        return [*self.preflight, *(r.line(len(self.plan)) for r in self.steps), self.summary]


class CanaryRolledBack(GateFailed):
    """The release rolled back: the flow run ends Failed with the reason; `report` is the
    CanaryResult (the analysis the CLI still prints)."""

    def __init__(self, result: CanaryResult) -> None:
        super().__init__(result.summary, report=result)
        self.result = result

    def __reduce__(self):
        return (type(self), (self.result,))
