"""MLflow webhook signatures: the same bytes as MLflow's delivery code, freshness, replays."""

from __future__ import annotations

import json

import pytest

from slipway.webhooks.signature import DeliveryRefused, ReplayGuard, sign, verify

SECRET = "s3cret"
BODY = json.dumps(
    {"entity": "model_version", "action": "created", "data": {"name": "m", "version": "1"}}
)


def headers(secret=SECRET, delivery_id="d-1", timestamp="1000", body=BODY):
    return {
        "X-MLflow-Signature": sign(secret, delivery_id, timestamp, body),
        "X-MLflow-Delivery-Id": delivery_id,
        "X-MLflow-Timestamp": timestamp,
    }


@pytest.mark.parametrize("secret", ["s3cret", "ünïcode-secret", "x" * 200])
def test_sign_matches_mlflows_delivery_code(secret):
    from mlflow.webhooks.delivery import _generate_hmac_signature

    assert sign(secret, "d-1", "1000", BODY) == _generate_hmac_signature(
        secret, "d-1", "1000", BODY
    )


def test_a_fresh_correct_delivery_verifies():
    assert verify(SECRET, headers(), BODY.encode(), now=1010) == "d-1"


@pytest.mark.parametrize(
    ("given", "status", "message"),
    [
        (headers(secret="wrong"), 401, "bad signature"),
        ({k: v for k, v in headers().items() if k != "X-MLflow-Signature"}, 401, "missing"),
        ({k: v for k, v in headers().items() if k != "X-MLflow-Timestamp"}, 401, "missing"),
        (
            {**headers(), "X-MLflow-Delivery-Id": "d-2"},
            401,
            "bad signature",
        ),  # id not the signed one
        (headers(timestamp="600"), 401, "stale"),
        (headers(timestamp="1400"), 401, "stale"),  # from the future
        (headers(timestamp="soon"), 400, "not a unix timestamp"),
    ],
)
def test_bad_deliveries_are_refused(given, status, message):
    with pytest.raises(DeliveryRefused, match=message) as refused:
        verify(SECRET, given, BODY.encode(), now=1010, max_age_s=300)
    assert refused.value.status == status


def test_a_changed_body_is_refused():
    with pytest.raises(DeliveryRefused, match="bad signature"):
        verify(SECRET, headers(), BODY.replace('"1"', '"2"').encode(), now=1010)


def test_replay_guard_refuses_a_second_delivery_and_forgets_old_ids():
    guard = ReplayGuard(max_age_s=10)
    assert guard.first_time("a", now=100) and guard.first_time("b", now=100)
    assert not guard.first_time("a", now=105)
    assert guard.first_time(
        "a", now=200
    )  # long past the freshness window: it would be stale anyway


def test_replay_guard_counts_an_id_only_once_it_was_delivered():
    guard = ReplayGuard(max_age_s=10)
    assert guard.claim("a", now=100) == "new"
    assert guard.claim("a", now=100) == "in_flight"  # a copy while the first is being sent
    guard.release("a")  # not delivered: the retry is a new attempt, not a replay
    assert guard.claim("a", now=101) == "new"
    guard.delivered("a", now=101)
    assert guard.claim("a", now=102) == "delivered"
