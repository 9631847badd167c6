"""The webhook endpoint over real HTTP on loopback, with a recording emitter: what is emitted and
what is refused."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest

from slipway import events
from slipway.webhooks.receiver import PATH, create_app
from slipway.webhooks.signature import sign
from tests.support.webhook_server import serving

SECRET = "hook-secret"


def delivery(
    data, entity="model_version", action="created", secret=SECRET, delivery_id=None, timestamp=None
):
    body = json.dumps(
        {"entity": entity, "action": action, "timestamp": "2026-01-01T00:00:00+00:00", "data": data}
    )
    delivery_id = delivery_id or str(uuid.uuid4())
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        "X-MLflow-Delivery-Id": delivery_id,
        "X-MLflow-Timestamp": timestamp,
        "X-MLflow-Signature": sign(secret, delivery_id, timestamp, body),
    }
    return body, headers


@pytest.fixture
def emitted():
    return []


@pytest.fixture
def client(emitted):
    def record(event, name, version, payload):
        emitted.append((event, name, version, payload))
        return "event-id"

    with (
        serving(create_app(SECRET, emit=record)) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        yield http


def test_a_version_created_outside_slipway_emits_registered(client, emitted):
    body, headers = delivery(
        {"name": "m", "version": "3", "run_id": "r", "source": "models:/x", "tags": {}}
    )
    response = client.post(PATH, content=body, headers=headers)
    assert response.status_code == 200 and response.json()["emitted"] == events.REGISTERED
    assert [(e, n, v) for e, n, v, _ in emitted] == [(events.REGISTERED, "m", "3")]
    assert (
        emitted[0][3]["run_id"] == "r"
        and emitted[0][3]["delivery_id"] == headers["X-MLflow-Delivery-Id"]
    )


def test_an_alias_created_emits_alias_set(client, emitted):
    body, headers = delivery(
        {"name": "m", "alias": "candidate", "version": "3"}, entity="model_version_alias"
    )
    assert client.post(PATH, content=body, headers=headers).status_code == 200
    assert emitted[0][:3] == (events.ALIAS_SET, "m", "3") and emitted[0][3]["alias"] == "candidate"


def test_a_version_slipway_registered_is_not_emitted_twice(client, emitted):
    body, headers = delivery({"name": "m", "version": "4", "tags": {"slipway.sha256": "ab" * 32}})
    response = client.post(PATH, content=body, headers=headers)
    assert response.status_code == 200 and response.json()["emitted"] is None
    assert emitted == []


@pytest.mark.parametrize(
    ("change", "status"),
    [
        (lambda h: {**h, "X-MLflow-Signature": "v1,AAAA"}, 401),
        (lambda h: {k: v for k, v in h.items() if k != "X-MLflow-Signature"}, 401),
        (
            lambda h: {
                **h,
                "X-MLflow-Signature": sign(
                    "other", h["X-MLflow-Delivery-Id"], h["X-MLflow-Timestamp"], "{}"
                ),
            },
            401,
        ),
    ],
    ids=["wrong", "missing", "other-secret"],
)
def test_a_wrong_or_missing_signature_is_401_and_emits_nothing(client, emitted, change, status):
    body, headers = delivery({"name": "m", "version": "3"})
    response = client.post(PATH, content=body, headers=change(headers))
    assert response.status_code == status and "signature" in response.json()["error"].lower()
    assert emitted == []


def test_a_stale_delivery_is_refused(client, emitted):
    body, headers = delivery({"name": "m", "version": "3"}, timestamp=str(int(time.time()) - 3600))
    response = client.post(PATH, content=body, headers=headers)
    assert response.status_code == 401 and "stale" in response.json()["error"]
    assert emitted == []


def test_a_replayed_delivery_is_refused(client, emitted):
    body, headers = delivery({"name": "m", "version": "3"})
    assert client.post(PATH, content=body, headers=headers).status_code == 200
    replay = client.post(PATH, content=body, headers=headers)
    assert replay.status_code == 409 and "replay" in replay.json()["error"]
    assert len(emitted) == 1


@pytest.mark.parametrize("data", [{}, {"name": "m"}, "not-a-dict"])
def test_a_payload_without_name_and_version_is_400(client, emitted, data):
    body, headers = delivery(data)
    assert client.post(PATH, content=body, headers=headers).status_code == 400
    assert emitted == []


def test_no_secret_is_a_config_error():
    from slipway.errors import ConfigError

    with pytest.raises(ConfigError, match="SLIPWAY_WEBHOOK_SECRET"):
        create_app("")


def test_serve_without_a_secret_is_exit_2(capsys, monkeypatch):
    from slipway.cli import main

    monkeypatch.delenv("SLIPWAY_WEBHOOK_SECRET", raising=False)
    assert main(["webhooks", "serve", "--port", "1"]) == 2
    captured = capsys.readouterr()
    assert "SLIPWAY_WEBHOOK_SECRET" in captured.err and captured.out == ""
