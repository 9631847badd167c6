"""The MLflow model registry behind one adapter: `open_registry()` -> `Registry`.

Everything slipway reads or writes in the registry goes through a `Registry` built once from
the settings: aliases, version tags (status, canary progress, drift verdicts, rejection and
rollback reasons; names in slipway.core.tags), the routing tag, evidence, bundle download,
model lookup and search, version creation, and the compensations a task's transaction calls
when a step fails (`delete_half_created`, `restore_aliases`).

A version's source is its *bundle* (the run artifact folder `bundle/`); its files are named in
slipway.core.layout and read by slipway.layout. Aliases: `champion` (serving), `candidate`
(registered, not yet released), `previous` (the champion before the last promotion).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from slipway.core import tags
from slipway.core.canary_state import CanaryProgress
from slipway.core.evidence import (
    EvidenceBundle,
    evidence_tags,
    missing_evidence,
    promote_problems,
)
from slipway.core.layout import BUNDLE_ARTIFACT_PATH, EVIDENCE, MANIFEST
from slipway.core.routing import Routing
from slipway.core.tags import CANDIDATE, CHAMPION, PREVIOUS
from slipway.errors import BadInput, ConfigError, GateFailed, SlipwayError, Unavailable

__all__ = ["CANDIDATE", "CHAMPION", "PREVIOUS", "PromoteResult", "Registry", "open_registry"]

# An unreachable tracking server fails after a few bounded retries, not minutes of backoff.
HTTP_RETRY_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}


class PromoteResult(BaseModel):
    name: str
    version: str
    previous: str | None
    """The version that was champion before this move (None for the first champion)."""


class ModelSummary(BaseModel):
    name: str
    aliases: dict[str, str]
    latest_version: int | None


def open_registry(settings=None) -> Registry:
    """The registry on the configured tracking/registry URIs (bounded HTTP retries unless set)."""
    for key, value in HTTP_RETRY_DEFAULTS.items():
        os.environ.setdefault(key, value)
    from mlflow import MlflowClient

    from slipway.settings import get_settings
    from slipway.tracking import configure_mlflow

    settings = settings or get_settings()
    configure_mlflow(settings)
    client = MlflowClient(
        tracking_uri=settings.resolved_tracking_uri, registry_uri=settings.resolved_registry_uri
    )
    return Registry(client, settings.home_dir / "cache" / "models")


def _not_found(exc: Exception) -> bool:
    code = str(getattr(exc, "error_code", ""))
    return "RESOURCE_DOES_NOT_EXIST" in code or "not found" in str(exc).lower()


def _cut(text: str) -> str:
    return text[: tags.TAG_VALUE_LIMIT]


class Registry:
    """One MLflow registry. `client` is the raw MlflowClient: for this class (and tests that
    inspect MLflow directly), never passed around."""

    def __init__(self, client, cache_dir: Path) -> None:
        self.client = client
        self.cache_dir = cache_dir

    # -- lookup ----------------------------------------------------------------------------
    def resolve(self, name: str, ref: str):
        """A ModelVersion from a version number or an alias (`champion`, `candidate`, ...)."""
        from mlflow.exceptions import MlflowException

        try:
            if str(ref).isdigit():
                return self.client.get_model_version(name, str(ref))
            return self.client.get_model_version_by_alias(name, ref)
        except MlflowException as exc:
            if _not_found(exc) or "alias" in str(exc).lower():
                raise BadInput(
                    f"model {name!r} has no version or alias {ref!r}: see `slipway models list`"
                ) from None
            first = str(exc).splitlines()[0]
            raise ConfigError(f"MLflow registry error for {name!r}: {first}") from None

    def version_number(self, name: str, ref: str) -> str:
        return str(self.resolve(name, ref).version)

    def alias(self, name: str, alias: str) -> str | None:
        """The version number an alias points at, or None when the alias (or the model) is not
        set. A registry that does not answer raises `Unavailable`: it is not "no champion"
        (a gateway replica would drop its routing while the MLflow server restarts)."""
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client.get_model_version_by_alias(name, alias).version)
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            first = str(exc).splitlines()[0][:200] if str(exc) else exc.error_code
            raise Unavailable(
                f"the MLflow registry did not answer reading alias {alias!r} of {name}: {first}"
            ) from None

    def aliases_of(self, name: str, version: str) -> list[str]:
        model = self.client.get_registered_model(name)
        return sorted(a for a, v in model.aliases.items() if str(v) == str(version))

    def models(self) -> list[ModelSummary]:
        """Every registered model with its aliases and latest version number."""
        found = []
        for model in self.client.search_registered_models():
            versions = [int(v.version) for v in self.versions(model.name)]
            aliases = {a: str(v) for a, v in sorted(model.aliases.items())}
            found.append(
                ModelSummary(
                    name=model.name, aliases=aliases, latest_version=max(versions, default=None)
                )
            )
        return found

    def versions(self, name: str) -> list:
        return list(self.client.search_model_versions(f"name='{name}'"))

    def find_by_sha256(self, name: str, sha256: str):
        """The version of `name` whose serving artifact has this sha256, if any."""
        return next((mv for mv in self.versions(name) if mv.tags.get(tags.SHA256) == sha256), None)

    # -- version tags ----------------------------------------------------------------------
    def version_tags(self, name: str, version: str) -> dict[str, str]:
        return dict(self.client.get_model_version(name, str(version)).tags)

    def set_version_tags(self, name: str, version: str, values: dict[str, str]) -> None:
        for key, value in values.items():
            self.client.set_model_version_tag(name, str(version), key, _cut(str(value)))

    def status(self, name: str, version: str) -> str | None:
        return self.version_tags(name, version).get(tags.STATUS)

    def is_rejected(self, name: str, version: str) -> bool:
        return self.status(name, version) == tags.REJECTED

    def rejected_reason(self, name: str, version: str) -> str | None:
        return self.version_tags(name, version).get(tags.REJECTED_REASON)

    def promoted_at(self, name: str, version: str) -> datetime | None:
        return _parse_time(self.version_tags(name, version).get(tags.PROMOTED_AT))

    def canary_progress(self, name: str, version: str) -> CanaryProgress | None:
        """The canary progress recorded on the version (None before its first canary)."""
        raw = self.version_tags(name, version).get(tags.CANARY_PROGRESS)
        if not raw:
            return None
        try:
            return CanaryProgress.model_validate_json(raw)
        except ValueError as exc:
            raise SlipwayError(
                f"{name} version {version}: tag {tags.CANARY_PROGRESS} is not canary progress "
                f"({str(exc).splitlines()[0]}): delete the tag to start the canary over"
            ) from None

    def save_canary_progress(self, name: str, progress: CanaryProgress) -> CanaryProgress:
        self.client.set_model_version_tag(
            name, progress.version, tags.CANARY_PROGRESS, progress.model_dump_json()
        )
        return progress

    def drift_verdict(self, name: str, version: str) -> str | None:
        """The drift monitor's last decision on this version, while it was champion."""
        return self.version_tags(name, version).get(tags.DRIFT_LAST_DECISION)

    def record_drift_verdict(self, name: str, version: str, action: str, now: datetime) -> None:
        self.set_version_tags(
            name,
            version,
            {tags.DRIFT_LAST_DECISION: action, tags.DRIFT_LAST_CHECKED: now.isoformat()},
        )

    # -- routing ---------------------------------------------------------------------------
    def routing(self, name: str) -> Routing:
        return Routing.from_tag(self.client.get_registered_model(name).tags.get(tags.ROUTING))

    def set_routing(self, name: str, routing: Routing) -> Routing:
        self.client.set_registered_model_tag(name, tags.ROUTING, routing.to_tag())
        return routing

    # -- evidence and bundle ---------------------------------------------------------------
    def read_evidence(self, name: str, version: str) -> EvidenceBundle:
        """The EvidenceBundle stored with a version; every gate `missing` when it has none."""
        from mlflow.exceptions import MlflowException

        from slipway.layout import read_evidence
        from slipway.tracking import download

        mv = self.resolve(name, version)
        uri = self.client.get_model_version_download_uri(name, str(mv.version)).rstrip("/")
        with tempfile.TemporaryDirectory() as tmp:
            try:
                path = download(f"{uri}/{EVIDENCE}", tmp)
            except (MlflowException, OSError):
                return missing_evidence(
                    f"version {mv.version} has no {EVIDENCE} (not registered by slipway)"
                )
            try:
                return read_evidence(path)
            except BadInput:
                return missing_evidence(
                    f"version {mv.version}: {EVIDENCE} is not a slipway evidence bundle"
                )

    def download_bundle(self, name: str, version: str, dest: str | Path | None = None) -> Path:
        """Download a version's bundle to `dest` (default: the SLIPWAY_HOME cache); its path."""
        from slipway.tracking import download

        mv = self.resolve(name, version)
        dest = Path(dest) if dest is not None else self.cache_dir / name / str(mv.version)
        if (dest / MANIFEST).is_file():
            return dest
        staging = dest.with_name(dest.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        uri = self.client.get_model_version_download_uri(name, str(mv.version))
        local = download(uri, staging)
        if not (local / MANIFEST).is_file():
            shutil.rmtree(staging, ignore_errors=True)
            raise BadInput(
                f"model {name} version {mv.version} is not a slipway bundle (no {MANIFEST} in "
                f"{uri})"
            )
        shutil.rmtree(dest, ignore_errors=True)
        local.rename(dest)
        shutil.rmtree(staging, ignore_errors=True)
        return dest

    # -- registration ----------------------------------------------------------------------
    def ensure_model(self, name: str, description: str) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.create_registered_model(name, description=description)
        except MlflowException as exc:
            if "RESOURCE_ALREADY_EXISTS" not in str(exc.error_code):
                raise

    def create_version(self, name: str, run_id: str, evidence: EvidenceBundle) -> str:
        """A new version from the run's bundle, tagged `registering` until `finish_version`."""
        mv = self.client.create_model_version(
            name,
            f"runs:/{run_id}/{BUNDLE_ARTIFACT_PATH}",
            run_id=run_id,
            tags={tags.SHA256: evidence.serving_sha256, tags.STATUS: tags.REGISTERING},
            description=f"{evidence.candidate} ({evidence.runtime}); evidence in {EVIDENCE}",
        )
        return str(mv.version)

    def finish_version(self, name: str, version: str, evidence: EvidenceBundle) -> None:
        """The evidence tags, status `registered`, and the `candidate` alias."""
        self.set_version_tags(
            name, version, {**evidence_tags(evidence), tags.STATUS: tags.REGISTERED}
        )
        self.client.set_registered_model_alias(name, CANDIDATE, version)

    def delete_half_created(self, name: str, version: str | None, run_id: str) -> None:
        """Compensation: remove a version whose registration failed part-way, and its run."""
        if version is not None:
            self.client.delete_model_version(name, version)
        self.client.delete_run(run_id)

    # -- aliases ---------------------------------------------------------------------------
    def aliases(self, name: str, names: tuple[str, ...] = (CHAMPION, PREVIOUS, CANDIDATE)):
        """{alias: version or None}: what `restore_aliases` puts back."""
        return {alias: self.alias(name, alias) for alias in names}

    def set_alias(self, name: str, alias: str, version: str | None) -> None:
        """Point `alias` at `version`; None removes it (if set)."""
        if version is not None:
            self.client.set_registered_model_alias(name, alias, str(version))
        elif self.alias(name, alias) is not None:
            self.client.delete_registered_model_alias(name, alias)

    def restore_aliases(self, name: str, before: dict[str, str | None]) -> None:
        """Compensation: put the aliases back as `aliases()` recorded them."""
        for alias, version in before.items():
            if self.alias(name, alias) != version:
                self.set_alias(name, alias, version)

    def check_promotable(
        self, name: str, version: str, action: str = "promote", replaces: str | None = None
    ) -> None:
        """GateFailed naming every gate in the version's evidence that did not pass; when it
        would replace champion `replaces` (and was never the champion itself), also a missing
        champion comparison."""
        bundle = self.read_evidence(name, version)
        # a version that was the champion before (promote back to it) was vetted then
        vetted = self.promoted_at(name, version) is not None
        problems = promote_problems(
            bundle, replaces is not None and replaces != version and not vetted
        )
        if problems:
            raise GateFailed(
                f"refusing to {action} {name} version {version}: " + "; ".join(problems),
                report=problems,
            )

    def promote(self, name: str, version: str, *, reason: str) -> PromoteResult:
        """The only way to move `champion`: refused unless every gate in the version's evidence
        passed; the old champion becomes `previous`. A caller that must undo a half-done move
        records `aliases()` first and calls `restore_aliases` (tasks/promote.py does)."""
        version = self.version_number(name, version)
        old = self.alias(name, CHAMPION)
        self.check_promotable(name, version, replaces=old)
        if old == version:
            return PromoteResult(name=name, version=version, previous=self.alias(name, PREVIOUS))
        if old is not None:
            self.set_alias(name, PREVIOUS, old)
        self.set_alias(name, CHAMPION, version)
        if self.alias(name, CANDIDATE) == version:
            self.set_alias(name, CANDIDATE, None)
        now = datetime.now(UTC).isoformat()
        self.set_version_tags(
            name,
            version,
            {tags.STATUS: CHAMPION, tags.PROMOTED_AT: now, tags.PROMOTED_REASON: reason},
        )
        if old is not None:
            self.set_version_tags(name, old, {tags.STATUS: PREVIOUS})
        return PromoteResult(name=name, version=version, previous=old)

    def reject(
        self, name: str, version: str, *, reason: str, details: dict[str, Any] | None = None
    ):
        """Tag a version rejected with the reason (and details); `candidate` stops pointing at
        it."""
        version = self.version_number(name, version)
        if self.alias(name, CHAMPION) == version:
            raise BadInput(
                f"{name} version {version} is the champion: roll back "
                "(`slipway rollback`) before rejecting it"
            )
        self.set_version_tags(
            name,
            version,
            {
                tags.STATUS: tags.REJECTED,
                tags.REJECTED_REASON: reason,
                tags.REJECTED_DETAILS: json.dumps(details or {}, default=str),
            },
        )
        if self.alias(name, CANDIDATE) == version:
            self.set_alias(name, CANDIDATE, None)

    def rollback_to_previous(self, name: str, *, reason: str) -> PromoteResult:
        """Move `champion` back to `previous` (through the same evidence guard); tag the demoted
        version. `previous` is cleared so that a second rollback cannot bring it back."""
        target = self.alias(name, PREVIOUS)
        if target is None:
            raise BadInput(
                f"model {name!r} has no `previous` version to roll back to "
                "(nothing was promoted over one)"
            )
        self.check_promotable(name, target, "roll back to")
        demoted = self.alias(name, CHAMPION)
        self.set_alias(name, PREVIOUS, None)
        self.set_alias(name, CHAMPION, target)
        if self.alias(name, CANDIDATE) == target:
            self.set_alias(name, CANDIDATE, None)
        now = datetime.now(UTC).isoformat()
        self.set_version_tags(name, target, {tags.STATUS: CHAMPION, tags.PROMOTED_AT: now})
        if demoted is not None and demoted != target:
            self.set_version_tags(
                name,
                demoted,
                {
                    tags.STATUS: tags.ROLLED_BACK,
                    tags.ROLLED_BACK_REASON: reason,
                    tags.ROLLED_BACK_AT: now,
                },
            )
        return PromoteResult(name=name, version=target, previous=demoted)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
