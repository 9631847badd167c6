"""Register a candidate directory as an MLflow model version with its evidence bundle.

`register_candidate` refuses a candidate whose gate failed, returns the existing version
for an artifact already registered under the name (same sha256), and otherwise logs the
bundle as run artifacts (`bundle/`), creates the version from `runs:/<run>/bundle`, tags it
with the evidence and points `candidate` at it. Creating the version and setting its tags
and alias run in one Prefect transaction whose rollback hook deletes a half-made version.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from slipway import registry
from slipway.core.contract import ServingContract
from slipway.core.evidence import EvidenceBundle, evidence_tags, gates_for, latency_record
from slipway.core.layout import BUNDLE_ARTIFACT_PATH
from slipway.core.train_result import TrainResult
from slipway.core.validation import ValidationReport
from slipway.errors import BadInput, GateFailed
from slipway.layout import read_manifest
from slipway.register.params import RegisterResult

STATUS_TAG = registry.STATUS_TAG


def check_name(name: str) -> str:
    if not name or not name.strip() or "'" in name or "/" in name:
        raise BadInput(f"model name {name!r}: use letters, digits, '-', '_' or '.' (no quotes or slashes)")
    return name


def existing_version(c, name: str, sha256: str):
    """The version of `name` whose serving artifact has this sha256, if any."""
    for mv in c.search_model_versions(f"name='{name}'"):
        if mv.tags.get("slipway.sha256") == sha256:
            return mv
    return None


def reference_frame(reference_data, train: TrainResult | None):
    from slipway.data import read_table

    ref = reference_data or (train.data_uris.get("reference") if train else None)
    if not ref:
        raise BadInput("no reference data: pass --reference-data (the data the model was trained for) "
                       "or a train result with a `reference` split")
    return read_table(ref)


def fingerprints(train: TrainResult | None, report: ValidationReport | None, frame) -> dict[str, str]:
    from slipway.data import fingerprint

    found = dict(train.fingerprints) if train else {}
    found.setdefault("reference", fingerprint(frame))
    if report and report.data_fingerprint:
        found["validated"] = report.data_fingerprint
    return found


def register_candidate(candidate_dir: str | Path, name: str, *, contract: ServingContract | None,
                       validation_report: ValidationReport | None = None,
                       train_result: TrainResult | None = None,
                       reference_data: str | Path | None = None) -> RegisterResult:
    """Register the selected candidate of `candidate_dir` under `name` (see the module docstring).

    The inputs are typed: the serving contract and validation report of validate-data, the
    train result of train. Reading them from files a user passes is the CLI's job
    (tasks/register_version.py), never this function's."""
    from slipway.register import provenance
    from slipway.runtimes import resolve_inside
    from slipway.store import sha256_file

    candidate_dir, name = Path(candidate_dir), check_name(name)
    manifest = read_manifest(candidate_dir)
    selected = manifest.selected() if manifest.selection else None
    if selected is None:
        raise BadInput(f"{candidate_dir}: the manifest has no selection; run `slipway bench` to choose a candidate")
    if selected.status != "accepted":
        raise GateFailed(f"refusing to register {name}: the selected candidate {selected.name} is {selected.status}"
                         f" ({selected.reason or 'not accepted'})")
    report, train = validation_report, train_result
    gates = gates_for(manifest, selected, report.model_dump(mode="json") if report else None)
    failed = {g: r for g, r in gates.items() if r.status == "failed"}
    if failed:
        why = "; ".join(f"{g} ({r.summary})" for g, r in failed.items())
        raise GateFailed(f"refusing to register {name}: gate {', '.join(failed)} failed: {why}", report=gates)
    if contract is None:
        raise BadInput(f"{candidate_dir}: no serving contract; pass --contract (from `slipway validate`)")
    sha256 = sha256_file(resolve_inside(candidate_dir, selected.path or ""))
    c = registry.client()
    found = existing_version(c, name, sha256)
    if found is not None:
        return RegisterResult(name=name, version=str(found.version), run_id=found.run_id or "", created=False,
                              sha256=sha256, summary=f"{name} version {found.version} already holds this artifact")
    frame = reference_frame(reference_data, train)

    def evidence_for(stored: dict[str, str]) -> EvidenceBundle:
        return EvidenceBundle(
            gates=gates, latency=latency_record(manifest), runtime=selected.runtime, candidate=selected.name,
            serving_sha256=sha256, stored_candidates=stored, environment=provenance.environment(),
            code_revision=provenance.code_revision(), data_fingerprints=fingerprints(train, report, frame),
            training_run_id=train.run_id if train else None, created_at=datetime.now(UTC).isoformat(),
        )

    from slipway.register import bundle

    with tempfile.TemporaryDirectory(prefix="slipway-bundle-") as tmp:
        evidence = bundle.assemble(candidate_dir, manifest, Path(tmp), contract=contract, reference=frame,
                                   evidence_for=evidence_for)
        run_id = log_bundle(Path(tmp), evidence, name)
    version = create_version(c, name, run_id, evidence)
    summary = f"{name} version {version}: {selected.name} ({selected.runtime}), alias {registry.CANDIDATE}"
    from slipway import events

    events.emit(events.REGISTERED, name, version, {"run_id": run_id, "sha256": sha256, "candidate": selected.name})
    return RegisterResult(name=name, version=version, run_id=run_id, created=True, sha256=sha256, summary=summary)


def log_bundle(bundle_dir: Path, evidence: EvidenceBundle, name: str) -> str:
    """One MLflow run holding the bundle under `bundle/`, tagged with the lineage; returns its id."""
    import mlflow

    from slipway.tracking import configure_mlflow

    experiment_id = configure_mlflow()
    with mlflow.start_run(run_name=f"register-{name}", experiment_id=experiment_id) as run:
        mlflow.log_artifacts(str(bundle_dir), BUNDLE_ARTIFACT_PATH)
        mlflow.set_tags({**evidence_tags(evidence), "slipway.stage": "register-version", "slipway.model_name": name})
        return run.info.run_id


def create_version(c, name: str, run_id: str, evidence: EvidenceBundle) -> str:
    """Create the version, tag it, point `candidate` at it; undo the version if any step fails."""
    from mlflow.exceptions import MlflowException
    from prefect.transactions import transaction

    created: dict[str, str] = {}

    def delete_half_created(_txn) -> None:
        if "version" in created:
            c.delete_model_version(name, created["version"])
        c.delete_run(run_id)

    with transaction() as txn:
        txn.stage(run_id, on_rollback_hooks=[delete_half_created])
        try:
            c.create_registered_model(name, description="Registered by slipway register-version.")
        except MlflowException as exc:
            if "RESOURCE_ALREADY_EXISTS" not in str(exc.error_code):
                raise
        mv = c.create_model_version(name, f"runs:/{run_id}/{BUNDLE_ARTIFACT_PATH}", run_id=run_id,
                                    tags={"slipway.sha256": evidence.serving_sha256, STATUS_TAG: "registering"},
                                    description=f"{evidence.candidate} ({evidence.runtime}); evidence in evidence.json")
        created["version"] = str(mv.version)
        finish_version(c, name, created["version"], evidence)
    return created["version"]


def finish_version(c, name: str, version: str, evidence: EvidenceBundle) -> None:
    for key, value in {**evidence_tags(evidence), STATUS_TAG: "registered"}.items():
        c.set_model_version_tag(name, version, key, value)
    c.set_registered_model_alias(name, registry.CANDIDATE, version)
