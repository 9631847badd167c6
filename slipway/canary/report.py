"""The canary report: markdown (the publish-report task makes it a Prefect artifact) and a JSON
file under the reports folder."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from slipway.canary.params import CanaryResult


def markdown(result: CanaryResult) -> str:
    head = "promoted" if result.decision == "promote" else "rolled back"
    if result.nothing_to_do:
        head = "already the champion"
    kind = "Blue-green release" if result.strategy == "blue-green" else "Canary"
    lines = [f"# {kind} of {result.name} version {result.version}: {head}", "", result.summary, ""]
    if result.preflight:
        lines += ["## Pre-flight", "", *(f"- {p}" for p in result.preflight), ""]
    lines += ["## Windows", "", "| # | step | outcome | checks |", "|---|---|---|---|"]
    for i, record in enumerate(result.steps, 1):
        if record.analysis is None:
            checks = f"metrics source error: {record.error}"
        else:
            checks = "<br>".join(
                f"{c.metric}: **{c.status}** {c.detail}" for c in record.analysis.checks
            )
        lines.append(
            f"| {i} | {record.step.label} | {record.outcome} | {checks.replace('|', '/')} |"
        )
    if result.failed_metrics:
        lines += ["", f"Failed metrics: {', '.join(result.failed_metrics)}"]
    lines += ["", f"Champion before: {result.champion_before}; after: {result.champion_after}"]
    return "\n".join(lines) + "\n"


def artifact_key(name: str, version: str) -> str:
    """Prefect artifact keys: lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", f"canary-{name}-{version}".lower()).strip("-")


def write_report(result: CanaryResult) -> CanaryResult:
    """The result as JSON under `<reports>/canary/`; the result with its `report` path."""
    from slipway.settings import get_settings

    folder = get_settings().reports_dir / "canary"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"{artifact_key(result.name, result.version)}-{stamp}.json"
    result = result.model_copy(update={"report": str(path)})
    path.write_text(result.model_dump_json(indent=2))
    return result
