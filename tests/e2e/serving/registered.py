"""Register a candidate directory as an MLflow model version, the bundle way (tests only).

Until register-version lands this follows slipway.registry's bundle layout directly:
copy the candidate directory, add a Selection, log it as run artifacts at `bundle`,
create a model version from `runs:/<run_id>/bundle` and optionally set `champion`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from slipway.core.manifest import Manifest, Selection


def register_bundle(
    candidate_dir: Path,
    name: str,
    work: Path,
    *,
    candidate: str = "onnx-fp32",
    alias: str | None = "champion",
    corrupt: bool = False,
) -> str:
    """Register `candidate_dir` as a new version of `name`; return the version number."""
    import mlflow

    from slipway import registry
    from slipway.core.layout import BUNDLE_ARTIFACT_PATH

    bundle = work / f"bundle-{name}-{len(list(work.glob('bundle-*')))}"
    shutil.copytree(candidate_dir, bundle)
    manifest = Manifest.model_validate_json((bundle / "manifest.json").read_text())
    manifest.selection = Selection(candidate=candidate, why="test registration")
    (bundle / "manifest.json").write_text(manifest.model_dump_json(indent=2))
    if corrupt:
        (bundle / manifest.get(candidate).path).write_bytes(b"this is not an ONNX model")
    from slipway.tracking import configure_mlflow

    c = registry.open_registry().client
    with mlflow.start_run(experiment_id=configure_mlflow()) as run:
        mlflow.log_artifacts(str(bundle), artifact_path=BUNDLE_ARTIFACT_PATH)
    try:
        c.get_registered_model(name)
    except mlflow.exceptions.MlflowException:
        c.create_registered_model(name)
    mv = c.create_model_version(
        name, source=f"runs:/{run.info.run_id}/{BUNDLE_ARTIFACT_PATH}", run_id=run.info.run_id
    )
    if alias:
        c.set_registered_model_alias(name, alias, mv.version)
    return str(mv.version)
