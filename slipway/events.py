"""Prefect events that slipway emits (`slipway.model.version.registered`, ...).

Resources are named `mlflow.model.<name>.<version>`; the payload carries at least the
model name and version. Two ways out:

- `emit`: Prefect's `emit_event`, fire-and-forget through a background worker (it never
  raises into the caller's gate, and never says whether the API got the event). For flows and
  tasks, whose events Prefect also ties to the run.
- `send`: one HTTP POST to the API's `/events` endpoint, answered 204 once the server took the
  event. For the webhook receiver, which must not acknowledge a delivery it could not pass on.
"""

from __future__ import annotations

import uuid
from typing import Any

from slipway.errors import ConfigError, Unavailable

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


class EventNotAccepted(Unavailable):
    """The Prefect API could not be reached, or refused the event."""


def api_url() -> str | None:
    """The Prefect API in use (PREFECT_API_URL), or None: Prefect would start a temporary one."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def require_api_url(who: str) -> str:
    """PREFECT_API_URL, or a ConfigError: a temporary in-process API would swallow the events."""
    url = api_url()
    if not url:
        raise ConfigError(
            f"PREFECT_API_URL is not set: {who} would send its events to a temporary Prefect API "
            "that no deployment listens to; set PREFECT_API_URL to your Prefect server's API "
            "(e.g. http://127.0.0.1:4200/api, which `slipway up` starts)"
        )
    return url


def event_id(key: str) -> uuid.UUID:
    """A stable event id for `key` (e.g. a webhook delivery id): the Prefect server stores an id
    once, so sending the same delivery again cannot start a second run."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"slipway:{key}")


async def send(
    event: str,
    name: str,
    version: str | int | None = None,
    payload: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    url: str | None = None,
    timeout_s: float = 10.0,
) -> str:
    """POST one event to the Prefect API at `url` (default PREFECT_API_URL) and return its id
    once the API accepted it; EventNotAccepted (one line, naming the API) otherwise."""
    from prefect.client.orchestration import PrefectClient
    from prefect.events import Event
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_KEY

    url = url or require_api_url("slipway")
    body = {
        "name": name,
        **({"version": str(version)} if version is not None else {}),
        **(payload or {}),
    }
    sent = Event(
        event=event,
        resource=model_resource(name, version),
        payload=body,
        **({"id": event_id(key)} if key else {}),
    )
    try:
        async with PrefectClient(
            url,
            api_key=PREFECT_API_KEY.value(),
            auth_string=PREFECT_API_AUTH_STRING.value(),
            httpx_settings={"timeout": timeout_s},
        ) as client:
            response = await client.request("POST", "/events", json=[sent.model_dump(mode="json")])
    except Exception as exc:  # httpx's transport errors and Prefect's HTTP status errors alike
        text = " ".join(str(exc).split())[:200]
        raise EventNotAccepted(
            f"the Prefect API at {url} did not take event {event} ({type(exc).__name__}: {text})"
        ) from None
    if response.status_code >= 300:
        raise EventNotAccepted(
            f"the Prefect API at {url} answered HTTP {response.status_code} to event {event}"
        )
    return str(sent.id)
