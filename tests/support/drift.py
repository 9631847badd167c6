"""Helpers for the drift-loop tests: a real version bundle with a reference profile, registered
in the (per-test) MLflow registry, and gateway-style production profiles in the store."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

FEATURES = [f"pixel_{i:02d}" for i in range(64)]


def make_bundle(candidate_dir: Path, reference, dest: Path) -> Path:
    """candidate_dir + selection (onnx-fp32) + passing evidence.json + reference_profile.bin
    (features + prediction): a bundle the guarded promote / rollback accept."""
    from slipway.core.evidence import Environment, EvidenceBundle, gates_for
    from slipway.core.layout import EVIDENCE, REFERENCE_PROFILE
    from slipway.core.manifest import MANIFEST_FILE, Manifest, Selection
    from slipway.drift import profiles
    from slipway.store import sha256_file
    from tests.support.registry import BENCHMARK, validation_report

    shutil.copytree(candidate_dir, dest)
    manifest = Manifest.model_validate_json((dest / MANIFEST_FILE).read_text())
    manifest.selection = Selection(candidate="onnx-fp32", why="test bundle")
    manifest.benchmark = BENCHMARK
    (dest / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2))
    selected = manifest.selected()
    evidence = EvidenceBundle(
        gates={
            **gates_for(manifest, selected, validation_report().model_dump(mode="json")),
            "champion_comparison": self_comparison(dest, reference),
        },
        runtime=selected.runtime,
        candidate=selected.name,
        serving_sha256=sha256_file(dest / selected.path),
        environment=Environment(python="3.11"),
    )
    (dest / EVIDENCE).write_text(evidence.model_dump_json(indent=2))
    frame = with_predictions(dest, reference[FEATURES])
    (dest / REFERENCE_PROFILE).write_bytes(profiles.serialize(profiles.profile_frame(frame)))
    return dest


def self_comparison(bundle: Path, reference):
    """The real comparison gate between two versions of this bundle (one artifact: every
    version registered from it predicts the same labels), on the labelled reference rows."""
    from slipway.compare.stage import comparison_gate
    from slipway.core.comparison import compare_classifiers

    labels = with_predictions(bundle, reference[FEATURES])["prediction"]
    return comparison_gate(compare_classifiers(reference["digit"], labels, labels), "1")


def with_predictions(bundle: Path, features):
    """The features plus the int `prediction` column, as the gateway profiles them."""
    import numpy as np

    from slipway.core.manifest import MANIFEST_FILE, Manifest
    from slipway.runtimes import load_candidate

    manifest = Manifest.model_validate_json((Path(bundle) / MANIFEST_FILE).read_text())
    predicted = load_candidate(bundle, manifest.selected()).predict(
        features.to_numpy(dtype=np.float32)
    )
    out = features.reset_index(drop=True).copy()
    out["prediction"] = predicted["label"].astype("int64")
    return out


def register_versions(name: str, bundle: Path, count: int = 2) -> list[str]:
    """`count` versions of the bundle (through a real MLflow run each)."""
    import mlflow

    from slipway.core.layout import BUNDLE_ARTIFACT_PATH
    from slipway.registry import open_registry
    from slipway.tracking import configure_mlflow

    experiment_id = configure_mlflow()
    c = open_registry().client
    c.create_registered_model(name)
    versions = []
    for _ in range(count):
        with mlflow.start_run(run_name="test-bundle", experiment_id=experiment_id) as run:
            mlflow.log_artifacts(str(bundle), BUNDLE_ARTIFACT_PATH)
            source = f"{run.info.artifact_uri}/{BUNDLE_ARTIFACT_PATH}"
        versions.append(str(c.create_model_version(name, source, run_id=run.info.run_id).version))
    return versions


def write_profile(
    name: str, version: str, frame, start: datetime, replica: str = "r1", variant: str = "champion"
) -> str:
    from slipway.drift import profiles, scoring
    from slipway.store import open_store

    key = scoring.profile_key(name, version, variant, start, replica)
    open_store().put_bytes(key, profiles.serialize(profiles.profile_frame(frame)))
    return key
