"""MLflow webhook signatures, freshness and replay protection (standard library only).

MLflow (mlflow/webhooks/delivery.py, `_generate_hmac_signature`) signs
`f"{delivery_id}.{timestamp}.{body}"` with HMAC-SHA256 under the webhook secret and sends
`X-MLflow-Signature: v1,<base64 digest>`, `X-MLflow-Timestamp: <unix seconds>` and
`X-MLflow-Delivery-Id: <uuid>`. The body is the exact JSON text it posted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time

SIGNATURE_HEADER = "X-MLflow-Signature"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
DELIVERY_ID_HEADER = "X-MLflow-Delivery-Id"
SIGNATURE_VERSION = "v1"


class DeliveryRefused(Exception):
    """A delivery that must not be acted on; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def sign(secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    digest = hmac.new(
        secret.encode("utf-8"), f"{delivery_id}.{timestamp}.{body}".encode(), hashlib.sha256
    ).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('utf-8')}"


def verify(
    secret: str, headers, body: bytes, *, now: float | None = None, max_age_s: int = 300
) -> str:
    """Check signature and freshness of one delivery; return its delivery id or raise
    DeliveryRefused."""
    signature = headers.get(SIGNATURE_HEADER)
    delivery_id = headers.get(DELIVERY_ID_HEADER)
    timestamp = headers.get(TIMESTAMP_HEADER)
    if not signature or not delivery_id or not timestamp:
        raise DeliveryRefused(
            401, f"missing {SIGNATURE_HEADER}, {DELIVERY_ID_HEADER} or {TIMESTAMP_HEADER} header"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise DeliveryRefused(400, "the body is not UTF-8") from None
    if not hmac.compare_digest(sign(secret, delivery_id, timestamp, text), signature):
        raise DeliveryRefused(
            401, "bad signature: check that the webhook's secret matches SLIPWAY_WEBHOOK_SECRET"
        )
    try:
        sent = int(timestamp)
    except ValueError:
        raise DeliveryRefused(400, f"{TIMESTAMP_HEADER} is not a unix timestamp") from None
    age = (time.time() if now is None else now) - sent
    if abs(age) > max_age_s:
        raise DeliveryRefused(401, f"stale delivery: sent {int(age)} s ago, limit {max_age_s} s")
    return delivery_id


class ReplayGuard:
    """Delivery ids delivered within the freshness window (older ones are refused as stale
    anyway), and the ones being delivered now.

    An id counts as delivered only once its event was accepted (`delivered`): a delivery that
    could not be sent is `released`, so MLflow's retry of it (same id) is accepted, not refused
    as a replay. A second copy that arrives while the first is still being sent is told to come
    back later (`in_flight`), never dropped.
    """

    def __init__(self, max_age_s: int = 300) -> None:
        self.max_age_s = max_age_s
        self._seen: dict[str, float] = {}
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()

    def claim(self, delivery_id: str, now: float | None = None) -> str:
        """ "new" (the caller now sends it), "delivered" (a replay) or "in_flight"."""
        now = time.time() if now is None else now
        with self._lock:
            horizon = now - 2 * self.max_age_s
            for old in [k for k, t in self._seen.items() if t < horizon]:
                del self._seen[old]
            if delivery_id in self._seen:
                return "delivered"
            if delivery_id in self._in_flight:
                return "in_flight"
            self._in_flight.add(delivery_id)
            return "new"

    def delivered(self, delivery_id: str, now: float | None = None) -> None:
        with self._lock:
            self._in_flight.discard(delivery_id)
            self._seen[delivery_id] = time.time() if now is None else now

    def release(self, delivery_id: str) -> None:
        """The claimed delivery was not delivered: its retry must be accepted."""
        with self._lock:
            self._in_flight.discard(delivery_id)

    def first_time(self, delivery_id: str, now: float | None = None) -> bool:
        """Claim and mark delivered at once; False if it was already seen (a replay)."""
        if self.claim(delivery_id, now) != "new":
            return False
        self.delivered(delivery_id, now)
        return True
