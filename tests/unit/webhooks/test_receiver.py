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


def test_an_event_that_could_not_be_sent_is_503_and_its_retry_is_accepted(emitted):
    """Issue 19 item 3: before, the id was recorded first: 200 for a lost event, then 409."""
    from slipway.events import EventNotAccepted

    down = [True]

    def flaky(event, name, version, payload):
        if down[0]:
            raise EventNotAccepted("the Prefect API at http://127.0.0.1:9/api did not take it")
        emitted.append((event, name, version, payload))
        return "event-id"

    body, headers = delivery({"name": "m", "version": "3"})
    with (
        serving(create_app(SECRET, emit=flaky)) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        first = http.post(PATH, content=body, headers=headers)
        assert first.status_code == 503 and first.headers["Retry-After"] == "5"
        assert "not delivered, retry later" in first.json()["error"] and emitted == []
        down[0] = False
        retry = http.post(PATH, content=body, headers=headers)  # MLflow's retry: same delivery
        assert retry.status_code == 200 and retry.json()["emitted"] == events.REGISTERED
        assert http.post(PATH, content=body, headers=headers).status_code == 409
    assert len(emitted) == 1


def test_a_copy_that_arrives_while_the_first_is_being_sent_is_told_to_retry(emitted):
    import asyncio
    import threading

    sending, release = threading.Event(), threading.Event()

    async def slow(event, name, version, payload):
        sending.set()
        while not release.is_set():
            await asyncio.sleep(0.01)
        emitted.append(event)
        return "event-id"

    body, headers = delivery({"name": "m", "version": "3"})
    with (
        serving(create_app(SECRET, emit=slow)) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        answers = []
        first = threading.Thread(
            target=lambda: answers.append(http.post(PATH, content=body, headers=headers))
        )
        first.start()
        assert sending.wait(10)
        copy = http.post(PATH, content=body, headers=headers)
        release.set()
        first.join(10)
    assert copy.status_code == 503 and "being delivered now" in copy.json()["error"]
    assert answers[0].status_code == 200 and emitted == [events.REGISTERED]


def test_without_prefect_api_url_the_receiver_refuses_to_start(monkeypatch, capsys):
    """Issue 19 item 3: an ephemeral API would accept the events and lose them."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from slipway.cli import main
    from slipway.errors import ConfigError

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("SLIPWAY_WEBHOOK_SECRET", SECRET)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        with pytest.raises(ConfigError, match="PREFECT_API_URL is not set: the webhook receiver"):
            create_app(SECRET)
        assert main(["webhooks", "serve", "--port", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: PREFECT_API_URL is not set") and captured.out == ""


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
