"""Prefect events that slipway emits (`slipway.model.version.registered`, ...).

Resources are named `mlflow.model.<name>.<version>`; the payload carries at least the
model name and version. Emitting is a no-op outside a Prefect context only when Prefect
itself says so (it returns None); it never raises into the caller's gate.
"""

from __future__ import annotations

from typing import Any

REGISTERED = "slipway.model.version.registered"
PROMOTED = "slipway.model.version.promoted"
ALIAS_SET = "slipway.model.version.alias_set"
VERSION_ROLLED_BACK = "slipway.model.version.rolled_back"
MODEL_ROLLED_BACK = "slipway.model.rolled_back"
DRIFT_DETECTED = "slipway.drift.detected"
DRIFT_NO_DATA = "slipway.drift.no_data"


def model_resource(name: str, version: str | int | None = None) -> dict[str, str]:
    rid = f"mlflow.model.{name}" + (f".{version}" if version is not None else "")
    resource = {"prefect.resource.id": rid, "slipway.model.name": name}
    if version is not None:
        resource["slipway.model.version"] = str(version)
    return resource


def emit(
    event: str,
    name: str,
    version: str | int | None = None,
    payload: dict[str, Any] | None = None,
    related: list[dict[str, str]] | None = None,
) -> str | None:
    """Emit a Prefect event about a model (version); return the event id, or None if not sent."""
    from prefect.events import emit_event

    body = {
        "name": name,
        **({"version": str(version)} if version is not None else {}),
        **(payload or {}),
    }
    sent = emit_event(
        event=event, resource=model_resource(name, version), payload=body, related=related
    )
    return str(sent.id) if sent is not None else None
