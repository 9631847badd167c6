"""The evidence bundle: why a model version was allowed (or not) to ship.

Pure. register-version builds it from the candidate manifest (parity, accuracy, the
benchmark and the selection), the validate-data report, the environment and the lineage;
it is stored with the version as `evidence.json` and summarised in tags. `evidence_problems`
is the guard that `champion` moves through: every gate must have passed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from slipway.core import tags
from slipway.core.manifest import Candidate, Manifest

EVIDENCE_SCHEMA_VERSION = 1
GATES = ("data_validation", "parity", "accuracy", "latency")
CHAMPION_GATES = ("champion_comparison", "contract_compatibility")
"""Gates a version gets when a champion exists at release time (compare-with-champion)."""
REQUIRED_OVER_A_CHAMPION = ("champion_comparison",)
"""What `promote` also requires when it would replace a champion."""
GATE_TAG_PREFIX = tags.GATE_PREFIX

GateStatus = Literal["passed", "failed", "missing"]


class GateResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: GateStatus
    summary: str
    details: dict[str, Any] = Field(default_factory=dict)


class Environment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    python: str
    packages_sha256: str | None = None
    """sha256 of constraints.txt (the pinned package set), None when it is not found."""
    platform: str = ""


class Latency(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    table: Any = None
    host: dict[str, Any] = Field(default_factory=dict)
    slo_p99_ms: float | None = None


class EvidenceBundle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = EVIDENCE_SCHEMA_VERSION
    gates: dict[str, GateResult]
    latency: Latency = Field(default_factory=Latency)
    runtime: str
    candidate: str
    serving_sha256: str
    stored_candidates: dict[str, str] = Field(default_factory=dict)
    """Every candidate stored with the version: name -> sha256 of its main file."""
    environment: Environment
    code_revision: str | None = None
    data_fingerprints: dict[str, str] = Field(default_factory=dict)
    training_run_id: str | None = None
    created_at: str = ""


def data_validation_gate(report: dict[str, Any] | None) -> GateResult:
    """From a validate-data ValidationReport (as JSON): critical failures fail the gate."""
    if report is None:
        return GateResult(
            status="missing", summary="no data validation report (run `slipway validate`)"
        )
    keep = (
        "suite_name",
        "data_ref",
        "rows",
        "evaluated",
        "passed",
        "critical_failures",
        "warnings",
        "data_fingerprint",
    )
    details = {k: report[k] for k in keep if k in report}
    if "success" not in report:
        return GateResult(
            status="missing",
            summary="the validation report has no `success` field",
            details=details,
        )
    failures = [
        o
        for o in report.get("outcomes") or []
        if not o.get("success") and o.get("severity") == "critical"
    ]
    details["failures"] = [
        f"{o.get('column') or '(table)'}: {o.get('expectation_type')}" for o in failures
    ][:20]
    summary = str(
        report.get("summary") or ("passed" if report["success"] else "critical expectations failed")
    )
    return GateResult(
        status="passed" if report["success"] else "failed", summary=summary, details=details
    )


def parity_gate(candidate: Candidate) -> GateResult:
    parity = candidate.parity
    if parity is None:
        return GateResult(status="missing", summary=f"{candidate.name}: no parity result")
    parts = []
    if parity.top1_agreement is not None:
        parts.append(f"top-1 agreement {parity.top1_agreement:.4f}")
    if parity.max_abs_error:
        parts.append(
            "max abs error " + ", ".join(f"{k} {v:.3g}" for k, v in parity.max_abs_error.items())
        )
    if parity.cosine_min is not None:
        parts.append(f"min cosine {parity.cosine_min:.4f}")
    summary = f"{candidate.name}: " + (
        "; ".join(parts) or ("within tolerance" if parity.passed else "out of tolerance")
    )
    return GateResult(
        status="passed" if parity.passed else "failed",
        summary=summary,
        details=parity.model_dump(mode="json"),
    )


def accuracy_gate(candidate: Candidate) -> GateResult:
    acc = candidate.accuracy
    if acc is None:
        return GateResult(status="missing", summary=f"{candidate.name}: no accuracy result")
    summary = (
        f"{candidate.name}: {acc.metric} {acc.value:.4f} vs baseline {acc.baseline:.4f} "
        f"(drop {acc.drop:.4f}, limit {acc.max_drop:.4f})"
    )
    return GateResult(
        status="passed" if acc.passed else "failed",
        summary=summary,
        details=acc.model_dump(mode="json"),
    )


def latency_gate(manifest: Manifest) -> GateResult:
    """From benchmark-latency's record in the manifest: a selection that met the SLO."""
    selection = manifest.selection
    if selection is None:
        return GateResult(
            status="missing", summary="no candidate was selected (run `slipway bench`)"
        )
    benchmark = manifest.benchmark or {}
    details = {"selection": selection.model_dump(mode="json")}
    if not benchmark:
        return GateResult(
            status="missing",
            summary=f"{selection.candidate} selected without a benchmark table",
            details=details,
        )
    passed = benchmark.get("passed", benchmark.get("gate", "passed") in (True, "passed"))
    status: GateStatus = "passed" if passed else "failed"
    slo = f" (SLO p99 {selection.slo_p99_ms} ms)" if selection.slo_p99_ms is not None else ""
    return GateResult(
        status=status, summary=f"{selection.candidate}{slo}: {selection.why}", details=details
    )


def gates_for(
    manifest: Manifest, selected: Candidate, validation_report: dict[str, Any] | None
) -> dict[str, GateResult]:
    return {
        "data_validation": data_validation_gate(validation_report),
        "parity": parity_gate(selected),
        "accuracy": accuracy_gate(selected),
        "latency": latency_gate(manifest),
    }


def latency_record(manifest: Manifest) -> Latency:
    benchmark = dict(manifest.benchmark or {})
    table = next((benchmark[k] for k in ("table", "rows", "results") if k in benchmark), None)
    slo = manifest.selection.slo_p99_ms if manifest.selection else None
    return Latency(table=table, host=benchmark.get("host") or {}, slo_p99_ms=slo)


def gate_status(bundle: EvidenceBundle, gate: str) -> GateStatus:
    result = bundle.gates.get(gate)
    return result.status if result is not None else "missing"


def evidence_problems(bundle: EvidenceBundle) -> list[str]:
    """Every gate that did not pass, named: 'parity: failed (...)', 'latency: missing (...)'."""
    problems = []
    for gate in (*GATES, *sorted(set(bundle.gates) - set(GATES))):
        result = bundle.gates.get(gate)
        if result is None:
            problems.append(f"{gate}: missing (no result in the evidence)")
        elif result.status != "passed":
            problems.append(f"{gate}: {result.status} ({result.summary})")
    return problems


def promote_problems(bundle: EvidenceBundle, replaces_champion: bool) -> list[str]:
    """`evidence_problems`, plus the champion comparison when the promote would replace a
    champion: a version never compared with the champion does not take its place."""
    problems = evidence_problems(bundle)
    if replaces_champion:
        problems += [
            f"{gate}: missing (never compared with the champion; release it with `slipway "
            "release`, which compares it before registering)"
            for gate in REQUIRED_OVER_A_CHAMPION
            if gate not in bundle.gates
        ]
    return problems


def failed_gates(bundle: EvidenceBundle) -> list[str]:
    return [gate for gate, result in bundle.gates.items() if result.status == "failed"]


def evidence_tags(bundle: EvidenceBundle) -> dict[str, str]:
    """The model-version tags that summarise the evidence in the MLflow UI."""
    found = {f"{GATE_TAG_PREFIX}{gate}": gate_status(bundle, gate) for gate in GATES}
    found.update(
        {
            f"{GATE_TAG_PREFIX}{g}": gate_status(bundle, g)
            for g in CHAMPION_GATES
            if g in bundle.gates
        }
    )
    found.update(
        {
            tags.SHA256: bundle.serving_sha256,
            tags.RUNTIME: bundle.runtime,
            tags.CANDIDATE_NAME: bundle.candidate,
        }
    )
    if bundle.training_run_id:
        found[tags.TRAINING_RUN_ID] = bundle.training_run_id
    if bundle.code_revision:
        found[tags.CODE_REVISION] = bundle.code_revision
    if bundle.environment.packages_sha256:
        found[tags.PACKAGES_SHA256] = bundle.environment.packages_sha256
    return found


def missing_evidence(reason: str) -> EvidenceBundle:
    """The evidence of a version that has none (e.g. registered outside slipway): every gate
    missing."""
    return EvidenceBundle(
        gates={g: GateResult(status="missing", summary=reason) for g in GATES},
        runtime="",
        candidate="",
        serving_sha256="",
        environment=Environment(python=""),
    )
