"""Register a candidate directory as an MLflow model version with its evidence bundle.

The steps, in the order tasks/register_version.py runs them:

1. `plan`: refuse a bad name, a manifest without an accepted selection, a failed gate or a
   missing contract; hash the serving artifact.
2. `existing`: the version already holding this artifact (same sha256): nothing new.
3. `publish_bundle`: assemble the bundle (slipway.register.bundle) and log it as the artifacts
   (`bundle/`) of one MLflow run tagged with the evidence.
4. `create_version`: the version from `runs:/<run>/bundle`, its evidence tags and the
   `candidate` alias. The task runs it in a Prefect transaction whose rollback hook calls
   `Registry.delete_half_created`, the compensation for a version made half-way.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from slipway.core import tags
from slipway.core.contract import ServingContract
from slipway.core.evidence import (
    EvidenceBundle,
    GateResult,
    evidence_tags,
    gates_for,
    latency_record,
)
from slipway.core.layout import BUNDLE_ARTIFACT_PATH
from slipway.core.manifest import Candidate, Manifest
from slipway.core.train_result import TrainResult
from slipway.core.validation import ValidationReport
from slipway.errors import BadInput, GateFailed
from slipway.layout import read_manifest
from slipway.register.params import RegisterResult
from slipway.registry import CANDIDATE, Registry


@dataclass(frozen=True)
class Plan:
    """A candidate that may be registered: every check passed, its serving artifact hashed."""

    name: str
    candidate_dir: Path
    manifest: Manifest
    selected: Candidate
    gates: dict[str, GateResult]
    contract: ServingContract
    sha256: str
    report: ValidationReport | None
    train: TrainResult | None
    reference_data: str | Path | None


def check_name(name: str) -> str:
    if not name or not name.strip() or "'" in name or "/" in name:
        raise BadInput(
            f"model name {name!r}: use letters, digits, '-', '_' or '.' (no quotes or slashes)"
        )
    return name


def plan(
    candidate_dir: str | Path,
    name: str,
    *,
    contract: ServingContract | None,
    validation_report: ValidationReport | None = None,
    train_result: TrainResult | None = None,
    reference_data: str | Path | None = None,
    champion_gates: dict[str, GateResult] | None = None,
) -> Plan:
    """Check what would be registered. The inputs are typed (validate-data's contract and
    report, train's result); reading them from files a user passes is the command line's job
    (tasks/register_version.py), never this function's."""
    from slipway.runtimes import resolve_inside
    from slipway.store import sha256_file

    candidate_dir, name = Path(candidate_dir), check_name(name)
    manifest = read_manifest(candidate_dir)
    selected = manifest.selected() if manifest.selection else None
    if selected is None:
        raise BadInput(
            f"{candidate_dir}: the manifest has no selection; run `slipway bench` "
            "to choose a candidate"
        )
    if selected.status != "accepted":
        raise GateFailed(
            f"refusing to register {name}: the selected candidate {selected.name} is "
            f"{selected.status} ({selected.reason or 'not accepted'})"
        )
    report = validation_report.model_dump(mode="json") if validation_report else None
    gates = {**gates_for(manifest, selected, report), **(champion_gates or {})}
    failed = {g: r for g, r in gates.items() if r.status == "failed"}
    if failed:
        why = "; ".join(f"{g} ({r.summary})" for g, r in failed.items())
        raise GateFailed(
            f"refusing to register {name}: gate {', '.join(failed)} failed: {why}", report=gates
        )
    if contract is None:
        raise BadInput(
            f"{candidate_dir}: no serving contract; pass --contract (from `slipway validate`)"
        )
    sha256 = sha256_file(resolve_inside(candidate_dir, selected.path or ""))
    return Plan(
        name,
        candidate_dir,
        manifest,
        selected,
        gates,
        contract,
        sha256,
        validation_report,
        train_result,
        reference_data,
    )


def existing(registry: Registry, plan: Plan) -> RegisterResult | None:
    """The version that already holds this artifact (same sha256 under the name), if any."""
    found = registry.find_by_sha256(plan.name, plan.sha256)
    if found is None:
        return None
    return RegisterResult(
        name=plan.name,
        version=str(found.version),
        run_id=found.run_id or "",
        created=False,
        sha256=plan.sha256,
        summary=f"{plan.name} version {found.version} already holds this artifact",
    )


def reference_frame(reference_data, train: TrainResult | None):
    from slipway.data import read_table

    ref = reference_data or (train.data_uris.get("reference") if train else None)
    if not ref:
        raise BadInput(
            "no reference data: pass --reference-data (the data the model was trained "
            "for) or a train result with a `reference` split"
        )
    return read_table(ref)


def fingerprints(
    train: TrainResult | None, report: ValidationReport | None, frame
) -> dict[str, str]:
    from slipway.data import fingerprint

    found = dict(train.fingerprints) if train else {}
    found.setdefault("reference", fingerprint(frame))
    if report and report.data_fingerprint:
        found["validated"] = report.data_fingerprint
    return found


def publish_bundle(plan: Plan) -> tuple[str, EvidenceBundle]:
    """Assemble the bundle and log it as one MLflow run's `bundle/`; (run id, evidence)."""
    from slipway.register import bundle, provenance
    from slipway.tracking import stage_run

    frame = reference_frame(plan.reference_data, plan.train)

    def evidence_for(stored: dict[str, str]) -> EvidenceBundle:
        return EvidenceBundle(
            gates=plan.gates,
            latency=latency_record(plan.manifest),
            runtime=plan.selected.runtime,
            candidate=plan.selected.name,
            serving_sha256=plan.sha256,
            stored_candidates=stored,
            environment=provenance.environment(),
            code_revision=provenance.code_revision(),
            data_fingerprints=fingerprints(plan.train, plan.report, frame),
            training_run_id=plan.train.run_id if plan.train else None,
            created_at=datetime.now(UTC).isoformat(),
        )

    with tempfile.TemporaryDirectory(prefix="slipway-bundle-") as tmp:
        evidence = bundle.assemble(
            plan.candidate_dir,
            plan.manifest,
            Path(tmp),
            contract=plan.contract,
            reference=frame,
            evidence_for=evidence_for,
        )
        with stage_run(
            "register-version",
            run_name=f"register-{plan.name}",
            tags={**evidence_tags(evidence), tags.MODEL_NAME: plan.name},
        ) as run:
            run.log_folder(tmp, BUNDLE_ARTIFACT_PATH)
    return run.run_id, evidence


def create_version(
    registry: Registry, plan: Plan, run_id: str, evidence: EvidenceBundle, created: dict[str, str]
) -> str:
    """The version, its tags and the `candidate` alias. `created["version"]` is set as soon as
    the version exists, so that a failing later step can be compensated."""
    registry.ensure_model(plan.name, "Registered by slipway register-version.")
    created["version"] = registry.create_version(plan.name, run_id, evidence)
    registry.finish_version(plan.name, created["version"], evidence)
    return created["version"]


def result_of(plan: Plan, version: str, run_id: str) -> RegisterResult:
    summary = (
        f"{plan.name} version {version}: {plan.selected.name} ({plan.selected.runtime}), "
        f"alias {CANDIDATE}"
    )
    return RegisterResult(
        name=plan.name,
        version=version,
        run_id=run_id,
        created=True,
        sha256=plan.sha256,
        summary=summary,
    )
