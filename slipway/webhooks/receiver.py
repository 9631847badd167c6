"""The HTTP endpoint MLflow posts webhooks to: verify, de-duplicate, emit the Prefect event.

`POST /mlflow/webhook`: `model_version.created` becomes `slipway.model.version.registered`
(unless slipway itself registered it: its versions carry `slipway.sha256` at creation and
slipway emits the event itself); `model_version_alias.created` becomes
`slipway.model.version.alias_set`. Answers: 200 handled, 400 malformed, 401 bad/missing
signature or stale, 409 replayed delivery.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from slipway.webhooks.signature import DeliveryRefused, ReplayGuard, verify

PATH = "/mlflow/webhook"
log = logging.getLogger("slipway.webhooks")


def event_for(body: dict) -> tuple[str, str, str, dict] | None:
    """(event, name, version, payload) for a delivery body, or None when slipway has nothing to
    emit."""
    from slipway import events

    kind = f"{body.get('entity')}.{body.get('action')}"
    data = body.get("data")
    if not isinstance(data, dict) or not data.get("name") or data.get("version") is None:
        raise DeliveryRefused(400, f"{kind}: the payload has no model name and version")
    name, version = str(data["name"]), str(data["version"])
    if kind == "model_version.created":
        if "slipway.sha256" in (data.get("tags") or {}):
            return None
        return (
            events.REGISTERED,
            name,
            version,
            {"run_id": data.get("run_id"), "source": data.get("source"), "via": "mlflow-webhook"},
        )
    if kind == "model_version_alias.created":
        return (
            events.ALIAS_SET,
            name,
            version,
            {"alias": data.get("alias"), "via": "mlflow-webhook"},
        )
    return None


def create_app(secret: str, *, max_age_s: int = 300, emit: Callable | None = None):
    """A Starlette app; `emit(event, name, version, payload)` defaults to slipway.events.emit."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    if not secret:
        from slipway.errors import ConfigError

        raise ConfigError(
            "no webhook secret: set SLIPWAY_WEBHOOK_SECRET to the secret the MLflow webhook was "
            "created with"
        )
    if emit is None:
        from slipway.events import emit
    guard = ReplayGuard(max_age_s)

    async def receive(request):
        body = await request.body()
        try:
            delivery_id = verify(secret, request.headers, body, max_age_s=max_age_s)
            if not guard.first_time(delivery_id):
                raise DeliveryRefused(
                    409, f"delivery {delivery_id} was already received (replay refused)"
                )
            try:
                parsed = json.loads(body)
            except ValueError:
                raise DeliveryRefused(400, "the body is not JSON") from None
            found = event_for(parsed if isinstance(parsed, dict) else {})
        except DeliveryRefused as refused:
            log.warning("webhook delivery refused: %s", refused)
            return JSONResponse({"error": str(refused)}, status_code=refused.status)
        if found is None:
            return JSONResponse({"delivery_id": delivery_id, "emitted": None})
        event, name, version, payload = found
        event_id = emit(event, name, version, {**payload, "delivery_id": delivery_id})
        return JSONResponse({"delivery_id": delivery_id, "emitted": event, "event_id": event_id})

    async def health(_request):
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route(PATH, receive, methods=["POST"]), Route("/healthz", health)])


def serve(host: str, port: int) -> None:
    """Run the receiver until interrupted (the secret comes from SLIPWAY_WEBHOOK_SECRET)."""
    import uvicorn

    from slipway.settings import get_settings

    settings = get_settings()
    app = create_app(settings.webhook_secret or "", max_age_s=settings.webhook_max_age_s)
    print(f"MLflow webhooks: http://{host}:{port}{PATH}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info")
