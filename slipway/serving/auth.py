"""API keys for the gateway: a keys file of sha256 hashes, re-read when it changes.

Auth is on unless `--no-auth` is given explicitly (local demos only; a loud warning is
logged). Keys are read from `Authorization: Bearer <key>` or `X-API-Key`; a key in the
query string is refused. Only the key's id ever reaches logs and rate-limit buckets.
A key that passed is remembered (per scope) until the keys file changes, so the sha256 and
the constant-time compare run once per key, not once per request.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from slipway.core.apikeys import ApiKey, authorize, dump_keys, hash_key, new_key, parse_keys
from slipway.core.ratelimit import TokenBucket
from slipway.errors import BadInput

log = logging.getLogger("slipway.serving")


class KeyRing:
    def __init__(self, path: Path | None, enabled: bool) -> None:
        self.path = path
        self.enabled = enabled
        self._keys: list[ApiKey] = []
        self._mtime: float | None = None
        self._passed: dict[tuple[str, str], str] = {}
        if enabled:
            if path is None:
                raise BadInput(
                    "slipway serve needs --keys-file (create one with --add-key ID) or, "
                    "for a local demo only, --no-auth"
                )
            self.reload()

    def reload(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise BadInput(
                f"keys file {self.path} not found: create it with "
                f"`slipway serve --keys-file {self.path} --add-key ID`"
            ) from None
        if stat.st_mtime == self._mtime:
            return
        try:
            self._keys = parse_keys(self.path.read_text(), str(self.path))
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        self._passed = {}  # a revoked or removed key stops passing at once
        self._mtime = stat.st_mtime

    def maybe_reload(self) -> None:
        if self.enabled:
            try:
                self.reload()
            except BadInput as exc:  # keep the last good keys
                log.error("keys file not reloaded", extra={"error": str(exc)})

    def check(self, headers, query_params, scope: str) -> tuple[int, str, str]:
        """(status, key id for buckets/logs, reason)."""
        if not self.enabled:
            return 200, "anonymous", ""
        if any(
            name.lower() in ("api_key", "apikey", "key", "token", "access_token")
            for name in query_params
        ):
            return (
                401,
                "",
                "API keys in the query string are refused (they end up in logs): "
                "send 'Authorization: Bearer <key>'",
            )
        presented = headers.get("x-api-key")
        auth = headers.get("authorization") or ""
        if not presented and auth[:7].lower() == "bearer ":
            presented = auth[7:].strip()
        if presented:
            key_id = self._passed.get((presented, scope))
            if key_id is not None:
                return 200, key_id, ""
        status, key, reason = authorize(self._keys, presented, scope)
        if status == 200 and key is not None:
            if len(self._passed) >= 1024:
                self._passed.clear()
            self._passed[(presented, scope)] = key.id
        return status, key.id if key else "", reason


class RateLimiter:
    """A token bucket per key id (or per client when auth is off)."""

    def __init__(self, rate: float | None, burst: int | None) -> None:
        self.rate = rate
        self.burst = burst or max(1, int(rate or 1))
        self._buckets: dict[str, TokenBucket] = {}

    def wait(self, who: str) -> float:
        if self.rate is None:
            return 0.0
        bucket = self._buckets.get(who)
        if bucket is None:
            bucket = self._buckets[who] = TokenBucket(rate=self.rate, capacity=self.burst)
        return bucket.take(time.monotonic())


def add_key(path: Path, key_id: str, scopes: list[str]) -> str:
    """Append a new key (hashed) to the keys file; return the plain key, shown once."""
    existing = parse_keys(path.read_text(), str(path)) if path.exists() else []
    if any(k.id == key_id for k in existing):
        raise BadInput(f"keys file {path} already has a key with id {key_id!r}: pick another id")
    plain = new_key()
    try:
        entry = parse_keys(dump_keys([ApiKey(key_id, hash_key(plain), frozenset(scopes))]))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_keys(existing + entry))
    os.chmod(path, 0o600)
    return plain
