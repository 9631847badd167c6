"""The MLflow model registry behind one adapter.

A slipway model version's *bundle* (the version's source directory) holds:

- `manifest.json`: the candidate manifest (slipway.core.manifest.Manifest) with the selection;
- the candidate files at the paths the manifest names;
- `serving_contract.json`: slipway.core.contract.ServingContract;
- `evidence.json`: the evidence bundle (every gate's result);
- `reference_profile.bin`: the whylogs profile of the reference data (features + `prediction`);
- `input_example.json`: a few rows of model input.

Aliases: `champion` (serving), `candidate` (registered, not yet released), `previous`
(the champion before the last promotion). Routing lives in the registered-model tag
`slipway.routing` (slipway.core.routing.Routing).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from slipway.core.routing import ROUTING_TAG, Routing
from slipway.errors import BadInput, ConfigError

BUNDLE_ARTIFACT_PATH = "bundle"
MANIFEST = "manifest.json"
CONTRACT = "serving_contract.json"
EVIDENCE = "evidence.json"
REFERENCE_PROFILE = "reference_profile.bin"
INPUT_EXAMPLE = "input_example.json"

CHAMPION, CANDIDATE, PREVIOUS = "champion", "candidate", "previous"


def client(settings=None):
    """An MlflowClient on the configured tracking/registry URIs."""
    from mlflow import MlflowClient

    from slipway.tracking import configure_mlflow

    configure_mlflow(settings)
    return MlflowClient()


def _not_found(exc: Exception) -> bool:
    return "RESOURCE_DOES_NOT_EXIST" in str(getattr(exc, "error_code", "")) or "not found" in str(exc).lower()


def resolve_version(name: str, ref: str, mlflow_client=None):
    """A ModelVersion from a version number or an alias (`champion`, `candidate`, ...)."""
    from mlflow.exceptions import MlflowException

    c = mlflow_client or client()
    try:
        if str(ref).isdigit():
            return c.get_model_version(name, str(ref))
        return c.get_model_version_by_alias(name, ref)
    except MlflowException as exc:
        if _not_found(exc) or "alias" in str(exc).lower():
            raise BadInput(f"model {name!r} has no version or alias {ref!r}: see `slipway models list`") from None
        raise ConfigError(f"MLflow registry error for {name!r}: {str(exc).splitlines()[0]}") from None


def alias_version(name: str, alias: str, mlflow_client=None) -> str | None:
    """The version number an alias points at, or None when the alias is not set."""
    from mlflow.exceptions import MlflowException

    c = mlflow_client or client()
    try:
        return str(c.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def download_bundle(name: str, version: str, dest: str | Path | None = None, mlflow_client=None) -> Path:
    """Download a version's bundle to `dest` (default: the SLIPWAY_HOME cache) and return its path."""
    import mlflow

    from slipway.settings import get_settings

    c = mlflow_client or client()
    mv = resolve_version(name, version, c)
    if dest is None:
        dest = get_settings().home_dir / "cache" / "models" / name / str(mv.version)
    dest = Path(dest)
    if (dest / MANIFEST).is_file():
        return dest
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    uri = c.get_model_version_download_uri(name, str(mv.version))
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(staging)))
    if not (local / MANIFEST).is_file():
        shutil.rmtree(staging, ignore_errors=True)
        raise BadInput(f"model {name} version {mv.version} is not a slipway bundle (no {MANIFEST} in {uri})")
    shutil.rmtree(dest, ignore_errors=True)
    local.rename(dest)
    shutil.rmtree(staging, ignore_errors=True)
    return dest


def get_routing(name: str, mlflow_client=None) -> Routing:
    c = mlflow_client or client()
    model = c.get_registered_model(name)
    return Routing.from_tag(model.tags.get(ROUTING_TAG))


def set_routing(name: str, routing: Routing, mlflow_client=None) -> Routing:
    c = mlflow_client or client()
    c.set_registered_model_tag(name, ROUTING_TAG, routing.to_tag())
    return routing
