"""The HTTP endpoint MLflow posts webhooks to: verify, de-duplicate, emit the Prefect event.

`POST /mlflow/webhook`: `model_version.created` becomes `slipway.model.version.registered`
(unless slipway itself registered it: its versions carry `slipway.sha256` at creation and
slipway emits the event itself); `model_version_alias.created` becomes
`slipway.model.version.alias_set`. Answers: 200 handled, 400 malformed, 401 bad/missing
signature or stale, 409 replayed delivery, 503 the event could not be sent (MLflow retries
503 with the same delivery id, which is then accepted).

A delivery counts as received only once the Prefect API accepted its event: the id is recorded
after that, never before. The event id is derived from the delivery id, so a retry of a delivery
whose answer was lost cannot start a second canary. The receiver refuses to start without
PREFECT_API_URL: Prefect's temporary in-process API would accept the events and lose them.
"""

from __future__ import annotations

import inspect
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


RETRY_AFTER_S = 5


def prefect_sender(url: str) -> Callable:
    """`emit` that returns only once the Prefect API at `url` accepted the event."""
    from slipway import events

    async def send(event: str, name: str, version: str, payload: dict) -> str:
        return await events.send(event, name, version, payload, key=payload["delivery_id"], url=url)

    return send


def create_app(
    secret: str,
    *,
    max_age_s: int = 300,
    emit: Callable | None = None,
    api_url: str | None = None,
):
    """A Starlette app. `emit(event, name, version, payload)` (plain or async) returns the event
    id once the event is accepted and raises when it is not; default: a POST to the Prefect API
    at `api_url` (default PREFECT_API_URL, which must then be set)."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from slipway.errors import ConfigError, SlipwayError

    if not secret:
        raise ConfigError(
            "no webhook secret: set SLIPWAY_WEBHOOK_SECRET to the secret the MLflow webhook was "
            "created with"
        )
    if emit is None:
        from slipway.events import require_api_url

        emit = prefect_sender(api_url or require_api_url("the webhook receiver"))
    guard = ReplayGuard(max_age_s)

    def refuse(refused: DeliveryRefused):
        log.warning("webhook delivery refused: %s", refused)
        return JSONResponse({"error": str(refused)}, status_code=refused.status)

    async def receive(request):
        body = await request.body()
        try:
            delivery_id = verify(secret, request.headers, body, max_age_s=max_age_s)
            try:
                parsed = json.loads(body)
            except ValueError:
                raise DeliveryRefused(400, "the body is not JSON") from None
            found = event_for(parsed if isinstance(parsed, dict) else {})
            claim = guard.claim(delivery_id)
            if claim == "delivered":
                raise DeliveryRefused(
                    409, f"delivery {delivery_id} was already received (replay refused)"
                )
            if claim == "in_flight":
                raise DeliveryRefused(
                    503, f"delivery {delivery_id} is being delivered now: retry later"
                )
        except DeliveryRefused as refused:
            return refuse(refused)
        if found is None:
            guard.delivered(delivery_id)
            return JSONResponse({"delivery_id": delivery_id, "emitted": None})
        event, name, version, payload = found
        try:
            event_id = emit(event, name, version, {**payload, "delivery_id": delivery_id})
            if inspect.isawaitable(event_id):
                event_id = await event_id
        except SlipwayError as exc:  # not sent: not received either, so MLflow's retry is taken
            guard.release(delivery_id)
            log.error("webhook delivery %s not delivered: %s", delivery_id, exc)
            return JSONResponse(
                {"error": f"not delivered, retry later: {exc}"},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        except BaseException:
            guard.release(delivery_id)
            raise
        guard.delivered(delivery_id)
        return JSONResponse({"delivery_id": delivery_id, "emitted": event, "event_id": event_id})

    async def health(_request):
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route(PATH, receive, methods=["POST"]), Route("/healthz", health)])


def serve(host: str, port: int) -> None:
    """Run the receiver until interrupted (the secret comes from SLIPWAY_WEBHOOK_SECRET)."""
    import uvicorn

    from slipway.events import api_url
    from slipway.settings import get_settings

    settings = get_settings()
    app = create_app(settings.webhook_secret or "", max_age_s=settings.webhook_max_age_s)
    print(f"MLflow webhooks: http://{host}:{port}{PATH} -> Prefect API {api_url()}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info")
