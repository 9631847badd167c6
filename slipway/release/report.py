"""What a release shows per stage: a short summary of each stage's typed result."""

from __future__ import annotations

from typing import Any


def _keep(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: data[k] for k in keys if k in data}


def train_summary(trained) -> dict[str, Any]:
    return _keep(
        trained.model_dump(mode="json"),
        "run_id",
        "model_uri",
        "metrics",
        "parameter_count",
        "data_uris",
    )


def validation_summary(validation) -> dict[str, Any]:
    return {
        "summary": validation.summary,
        "report": validation.report_uri,
        "contract": validation.contract_uri,
    }


def optimize_summary(optimized) -> dict[str, Any]:
    return {
        "summary": optimized.summary,
        "candidate_dir": optimized.candidate_dir,
        "mlflow_run_id": optimized.mlflow_run_id,
    }


def bench_summary(bench) -> dict[str, Any]:
    return {
        "summary": bench.summary,
        "selected": bench.selection.candidate if bench.selection else None,
        "report_dir": bench.report_dir,
    }


def compare_summary(compared) -> dict[str, Any]:
    from slipway.compare.stage import lines

    return {
        "summary": compared.summary,
        "champion_version": compared.champion_version,
        "lines": lines(compared),
        "gates": {g: r.status for g, r in compared.gates.items()},
    }


def register_summary(registered) -> dict[str, Any]:
    return _keep(registered.model_dump(mode="json"), "version", "created", "run_id", "summary")


def canary_summary(canary) -> dict[str, Any]:
    return {"summary": canary.summary, "decision": canary.decision, "lines": canary.lines()}


def waiting_line(name: str, version: str) -> str:
    return (
        f"{name} version {version} is registered with alias `candidate`; the canary-release "
        "deployment (triggered by the registered event) or "
        f"`slipway canary {name} {version}` releases it"
    )


def summarize(result) -> list[str]:
    """One short block per stage that ran (what `slipway release` and the demo print)."""
    lines = [
        f"release of {result.model_name}: {len(result.stages)} stage(s) ran"
        + (f", version {result.version}: {result.outcome}" if result.version else "")
    ]
    for stage, data in result.stages.items():
        lines.append(f"[{stage}]")
        for line in _stage_lines(stage, data):
            lines.append(f"  {line}")
    return lines


def _stage_lines(stage: str, data: dict) -> list[str]:
    if stage == "train":
        return [
            f"run {data['run_id']}: {data['parameter_count']} parameters, "
            f"eval accuracy {data['metrics']['accuracy']:.4f}",
            f"model {data['model_uri']}",
        ]
    if stage in ("canary-release", "compare-with-champion") and data.get("lines"):
        return list(data["lines"])
    summary = data.get("summary") if isinstance(data, dict) else None
    lines = [str(summary if summary is not None else data)]
    if stage == "benchmark-latency" and data.get("selected"):
        lines.append(f"selected: {data['selected']} (report {data.get('report_dir')})")
    return [line for chunk in lines for line in chunk.splitlines() if line.strip()]
