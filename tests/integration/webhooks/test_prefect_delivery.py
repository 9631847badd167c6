"""The receiver against the session's real Prefect API: an event counts as delivered only once
the API accepted it.

Given a receiver whose Prefect API URL points at a port where nothing listens yet,
when MLflow delivers a registration, the receiver answers 503 (MLflow retries 503);
when the API is up on that port and the same delivery is retried, it is accepted and the event is
in Prefect, once; a third copy is a replay (409).
"""

from __future__ import annotations

import json
import time
import uuid

import httpx

from slipway import events
from slipway.webhooks.receiver import PATH, create_app
from slipway.webhooks.signature import sign
from tests.conftest import free_port
from tests.support.prefect_events import prefect_events
from tests.support.webhook_server import forwarding_app, serving

SECRET = "delivery-secret"


def registration(name: str, version: str) -> tuple[str, dict]:
    body = json.dumps(
        {
            "entity": "model_version",
            "action": "created",
            "timestamp": "2026-01-01T00:00:00+00:00",
            "data": {"name": name, "version": version, "run_id": "r", "tags": {}},
        }
    )
    delivery_id, timestamp = str(uuid.uuid4()), str(int(time.time()))
    return body, {
        "Content-Type": "application/json",
        "X-MLflow-Delivery-Id": delivery_id,
        "X-MLflow-Timestamp": timestamp,
        "X-MLflow-Signature": sign(SECRET, delivery_id, timestamp, body),
    }


def api_origin() -> str:
    from prefect.settings import PREFECT_API_URL

    url = httpx.URL(PREFECT_API_URL.value())
    return f"{url.scheme}://{url.host}:{url.port}"


def test_an_unreachable_api_is_503_and_the_retry_is_delivered_once():
    name = f"hooked-{uuid.uuid4().hex[:6]}"
    port = free_port()
    body, headers = registration(name, "4")
    with (
        serving(create_app(SECRET, api_url=f"http://127.0.0.1:{port}/api")) as receiver,
        httpx.Client(base_url=receiver, timeout=30) as http,
    ):
        down = http.post(PATH, content=body, headers=headers)
        assert down.status_code == 503, down.text
        assert f"the Prefect API at http://127.0.0.1:{port}/api did not take" in down.text
        with serving(forwarding_app(api_origin()), port=port):  # the API is back on that port
            retry = http.post(PATH, content=body, headers=headers)
            assert retry.status_code == 200, retry.text
            replay = http.post(PATH, content=body, headers=headers)
    assert replay.status_code == 409
    found = prefect_events(events.REGISTERED, f"mlflow.model.{name}.4")
    assert len(found) == 1 and str(found[0].id) == retry.json()["event_id"]
    assert found[0].payload["delivery_id"] == headers["X-MLflow-Delivery-Id"]


def test_a_delivery_sent_twice_is_one_event():
    """The event id comes from the delivery id: a retry after a lost answer starts nothing new."""
    import asyncio

    name = f"twice-{uuid.uuid4().hex[:6]}"

    async def send_twice():
        return [
            await events.send(events.REGISTERED, name, "2", {"delivery_id": "d"}, key="d-" + name)
            for _ in range(2)
        ]

    first, second = asyncio.run(send_twice())
    assert first == second
    time.sleep(2)  # the server stores events in the background: give a duplicate time to land
    assert len(prefect_events(events.REGISTERED, f"mlflow.model.{name}.2")) == 1
