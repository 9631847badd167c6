"""API keys: stored as sha256 hashes with scopes, checked in constant time (pure).

A keys file is JSON: `{"keys": [{"id": "ci", "sha256": "<hex>", "scopes": ["predict"],
"revoked": false}, ...]}`. The plain key is shown once when created and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

SCOPES = ("predict", "admin")


@dataclass(frozen=True)
class ApiKey:
    id: str
    sha256: str
    scopes: frozenset[str]
    revoked: bool = False


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def new_key() -> str:
    return "sk_" + secrets.token_urlsafe(32)


def parse_keys(text: str, where: str = "keys file") -> list[ApiKey]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise ValueError(f'{where}: expected {{"keys": [...]}}')
    keys = []
    for i, entry in enumerate(doc["keys"]):
        if not isinstance(entry, dict) or not {"id", "sha256", "scopes"} <= set(entry):
            raise ValueError(f"{where}: keys[{i}] needs id, sha256 and scopes")
        digest = str(entry["sha256"]).lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"{where}: keys[{i}] ({entry['id']}) sha256 is not 64 hex digits")
        scopes = frozenset(entry["scopes"])
        unknown = sorted(scopes - set(SCOPES))
        if unknown:
            raise ValueError(
                f"{where}: keys[{i}] ({entry['id']}) has unknown scope {unknown[0]!r} (use "
                f"{', '.join(SCOPES)})"
            )
        keys.append(ApiKey(str(entry["id"]), digest, scopes, bool(entry.get("revoked", False))))
    return keys


def dump_keys(keys: list[ApiKey]) -> str:
    return json.dumps(
        {
            "keys": [
                {"id": k.id, "sha256": k.sha256, "scopes": sorted(k.scopes), "revoked": k.revoked}
                for k in keys
            ]
        },
        indent=2,
    )


def find_key(keys: list[ApiKey], presented: str) -> ApiKey | None:
    """The key whose hash matches `presented` (every entry compared in constant time), or None."""
    digest = hash_key(presented)
    found = None
    for key in keys:
        if hmac.compare_digest(key.sha256, digest):
            found = key
    return found


def authorize(
    keys: list[ApiKey], presented: str | None, scope: str
) -> tuple[int, ApiKey | None, str]:
    """(HTTP status, key, reason): 200 allowed, 401 no/unknown/revoked key, 403 scope missing."""
    if not presented:
        return (
            401,
            None,
            "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
        )
    key = find_key(keys, presented)
    if key is None:
        return 401, None, "unknown API key"
    if key.revoked:
        return 401, key, "API key revoked"
    if scope not in key.scopes:
        return 403, key, f"API key lacks the {scope!r} scope"
    return 200, key, ""
