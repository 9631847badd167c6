"""Gateway fixtures: a SLIPWAY_HOME per module with a registered model, and API keys."""

from __future__ import annotations

import pytest

from tests.e2e.serving.registered import register_bundle

MODEL = "digits-gw"


@pytest.fixture(scope="module")
def gw_home(tmp_path_factory, candidate_dir):
    """A SLIPWAY_HOME with `digits-gw` v1 as champion; set it in the environment while
    registering."""
    home = tmp_path_factory.mktemp("gw-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("SLIPWAY_HOME", str(home))
    try:
        register_bundle(candidate_dir, MODEL, home)
    finally:
        mp.undo()
    return home


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """A keys file with predict, admin, revoked keys; returns (path, {id: plain})."""
    from slipway.core.apikeys import ApiKey, dump_keys, hash_key

    plain = {
        "app": "sk_app_key_0123456789",
        "ops": "sk_ops_key_0123456789",
        "old": "sk_old_key_0123456789",
    }
    entries = [
        ApiKey("app", hash_key(plain["app"]), frozenset({"predict"})),
        ApiKey("ops", hash_key(plain["ops"]), frozenset({"predict", "admin"})),
        ApiKey("old", hash_key(plain["old"]), frozenset({"predict"}), revoked=True),
    ]
    path = tmp_path_factory.mktemp("keys") / "keys.json"
    path.write_text(dump_keys(entries))
    return path, plain
