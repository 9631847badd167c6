"""API keys: hashed storage, constant-time lookup, scopes, revocation, keys-file errors."""

import pytest

from slipway.core.apikeys import ApiKey, authorize, dump_keys, hash_key, new_key, parse_keys

KEYS = [
    ApiKey("app", hash_key("k-app"), frozenset({"predict"})),
    ApiKey("ops", hash_key("k-ops"), frozenset({"predict", "admin"})),
    ApiKey("old", hash_key("k-old"), frozenset({"predict", "admin"}), revoked=True),
]


@pytest.mark.parametrize(
    "presented, scope, status, key_id",
    [
        (None, "predict", 401, None),
        ("", "predict", 401, None),
        ("nope", "predict", 401, None),
        ("k-old", "predict", 401, "old"),
        ("k-app", "admin", 403, "app"),
        ("k-app", "predict", 200, "app"),
        ("k-ops", "admin", 200, "ops"),
        ("k-ops", "predict", 200, "ops"),
        (hash_key("k-app"), "predict", 401, None),
    ],
)
def test_authorize(presented, scope, status, key_id):
    code, key, reason = authorize(KEYS, presented, scope)
    assert code == status
    assert (key.id if key else None) == key_id
    assert bool(reason) == (status != 200)


def test_dump_and_parse_round_trip_without_plain_keys():
    text = dump_keys(KEYS)
    assert "k-app" not in text
    assert parse_keys(text) == KEYS


def test_new_keys_differ():
    assert new_key() != new_key() and new_key().startswith("sk_")


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json", "not JSON"),
        ("[]", "expected"),
        ('{"keys": [{"id": "a"}]}', "needs id, sha256 and scopes"),
        ('{"keys": [{"id": "a", "sha256": "xyz", "scopes": []}]}', "64 hex"),
        (
            '{"keys": [{"id": "a", "sha256": "' + "a" * 64 + '", "scopes": ["root"]}]}',
            "unknown scope 'root'",
        ),
    ],
)
def test_bad_keys_file(text, message):
    with pytest.raises(ValueError, match=message):
        parse_keys(text)
