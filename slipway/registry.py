"""The MLflow model registry behind one adapter.

A slipway model version's source is its *bundle* (the run artifact folder `bundle/`); its
files are named in slipway.core.layout and read by slipway.layout.

Aliases: `champion` (serving), `candidate` (registered, not yet released), `previous`
(the champion before the last promotion). Routing lives in the registered-model tag
`slipway.routing` (slipway.core.routing.Routing).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from slipway.core.layout import EVIDENCE, MANIFEST
from slipway.core.routing import ROUTING_TAG, Routing
from slipway.errors import BadInput, ConfigError, GateFailed

CHAMPION, CANDIDATE, PREVIOUS = "champion", "candidate", "previous"
STATUS_TAG = "slipway.status"
PROMOTED_AT_TAG = "slipway.promoted_at"

# An unreachable tracking server fails after a few bounded retries, not minutes of backoff.
HTTP_RETRY_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                       "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}


def client(settings=None):
    """An MlflowClient on the configured tracking/registry URIs (bounded HTTP retries unless set)."""
    for key, value in HTTP_RETRY_DEFAULTS.items():
        os.environ.setdefault(key, value)
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


class PromoteResult(BaseModel):
    name: str
    version: str
    previous: str | None
    """The version that was champion before this move (None for the first champion)."""


def read_evidence(name: str, version: str, mlflow_client=None):
    """The EvidenceBundle stored with a version; every gate `missing` when it has none."""
    import tempfile

    import mlflow
    from mlflow.exceptions import MlflowException

    from slipway.core.evidence import missing_evidence
    from slipway.layout import read_evidence as read_evidence_file

    c = mlflow_client or client()
    mv = resolve_version(name, version, c)
    uri = c.get_model_version_download_uri(name, str(mv.version)).rstrip("/") + "/" + EVIDENCE
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp))
        except (MlflowException, OSError):
            return missing_evidence(f"version {mv.version} has no {EVIDENCE} (not registered by slipway)")
        try:
            return read_evidence_file(path)
        except BadInput:
            return missing_evidence(f"version {mv.version}: {EVIDENCE} is not a slipway evidence bundle")


def _guard(name: str, version: str, c, action: str) -> None:
    from slipway.core.evidence import evidence_problems

    problems = evidence_problems(read_evidence(name, version, c))
    if problems:
        raise GateFailed(f"refusing to {action} {name} version {version}: " + "; ".join(problems), report=problems)


def _move_champion(c, name: str, version: str, *, previous: str | None, set_previous: bool) -> None:
    """Point champion at `version` (and `previous` at the old one); restore both if a step fails."""
    from prefect.transactions import transaction

    before = {alias: alias_version(name, alias, c) for alias in (CHAMPION, PREVIOUS)}

    def restore(_txn) -> None:
        for alias, old in before.items():
            if old is None:
                c.delete_registered_model_alias(name, alias)
            else:
                c.set_registered_model_alias(name, alias, old)

    with transaction() as txn:
        txn.stage(version, on_rollback_hooks=[restore])
        if set_previous and previous is not None:
            c.set_registered_model_alias(name, PREVIOUS, previous)
        elif not set_previous and before[PREVIOUS] is not None:
            c.delete_registered_model_alias(name, PREVIOUS)
        c.set_registered_model_alias(name, CHAMPION, version)
        if alias_version(name, CANDIDATE, c) == version:
            c.delete_registered_model_alias(name, CANDIDATE)


def promote(name: str, version: str, *, reason: str) -> PromoteResult:
    """The only way to move `champion`: refused unless every gate in the version's evidence passed."""
    from slipway import events

    c = client()
    version = str(resolve_version(name, version, c).version)
    _guard(name, version, c, "promote")
    old = alias_version(name, CHAMPION, c)
    if old == version:
        return PromoteResult(name=name, version=version, previous=alias_version(name, PREVIOUS, c))
    _move_champion(c, name, version, previous=old, set_previous=True)
    now = datetime.now(UTC).isoformat()
    for key, value in {STATUS_TAG: "champion", PROMOTED_AT_TAG: now, "slipway.promoted_reason": reason}.items():
        c.set_model_version_tag(name, version, key, value[:5000])
    if old is not None:
        c.set_model_version_tag(name, old, STATUS_TAG, "previous")
    events.emit(events.PROMOTED, name, version, {"previous": old, "reason": reason})
    return PromoteResult(name=name, version=version, previous=old)


def reject(name: str, version: str, *, reason: str, details: dict | None = None) -> None:
    """Tag a version rejected with the reason (and details); `candidate` stops pointing at it."""
    c = client()
    version = str(resolve_version(name, version, c).version)
    if alias_version(name, CHAMPION, c) == version:
        raise BadInput(f"{name} version {version} is the champion: roll back (`rollback_to_previous`) before rejecting it")
    c.set_model_version_tag(name, version, STATUS_TAG, "rejected")
    c.set_model_version_tag(name, version, "slipway.rejected_reason", reason[:5000])
    c.set_model_version_tag(name, version, "slipway.rejected_details", json.dumps(details or {}, default=str)[:5000])
    if alias_version(name, CANDIDATE, c) == version:
        c.delete_registered_model_alias(name, CANDIDATE)


def rollback_to_previous(name: str, *, reason: str) -> PromoteResult:
    """Move `champion` back to `previous` (through the same evidence guard); tag the demoted version.

    `previous` is cleared afterwards so that a second rollback cannot bring the demoted version back.
    """
    from slipway import events

    c = client()
    target = alias_version(name, PREVIOUS, c)
    if target is None:
        raise BadInput(f"model {name!r} has no `previous` version to roll back to (nothing was promoted over one)")
    _guard(name, target, c, "roll back to")
    demoted = alias_version(name, CHAMPION, c)
    _move_champion(c, name, target, previous=None, set_previous=False)
    now = datetime.now(UTC).isoformat()
    c.set_model_version_tag(name, target, STATUS_TAG, "champion")
    c.set_model_version_tag(name, target, PROMOTED_AT_TAG, now)
    if demoted is not None and demoted != target:
        c.set_model_version_tag(name, demoted, STATUS_TAG, "rolled_back")
        c.set_model_version_tag(name, demoted, "slipway.rolled_back_reason", reason[:5000])
        c.set_model_version_tag(name, demoted, "slipway.rolled_back_at", now)
    events.emit(events.VERSION_ROLLED_BACK, name, demoted, {"champion": target, "reason": reason})
    return PromoteResult(name=name, version=target, previous=demoted)

