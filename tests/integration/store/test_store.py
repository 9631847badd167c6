"""The same store cases on local disk and on S3 (moto's standalone server on 127.0.0.1)."""

from __future__ import annotations

import pytest

from slipway.errors import BadInput, ConfigError
from slipway.store import LocalStore, S3Store, open_store


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "artifacts")
    bucket = request.getfixturevalue("s3_bucket")
    return S3Store(f"s3://{bucket}/prefix")


def test_bytes_round_trip(store):
    # given a store, when bytes are put, then the same bytes come back
    uri = store.put_bytes("a/b/c.bin", b"\x00\x01payload")
    assert store.get_bytes("a/b/c.bin") == b"\x00\x01payload"
    assert uri.endswith("a/b/c.bin")


def test_file_round_trip(store, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("hello")
    store.put_file("files/in.txt", src)
    out = store.get_file("files/in.txt", tmp_path / "out" / "in.txt")
    assert out.read_text() == "hello"


def test_exists_and_list(store):
    assert not store.exists("x/1.txt")
    store.put_text("x/1.txt", "1")
    store.put_text("x/2.txt", "2")
    store.put_text("y/3.txt", "3")
    assert store.exists("x/1.txt")
    assert store.list("x/") == ["x/1.txt", "x/2.txt"]
    assert store.list() == ["x/1.txt", "x/2.txt", "y/3.txt"]


def test_overwrite_replaces(store):
    store.put_text("k.txt", "old")
    store.put_text("k.txt", "new")
    assert store.get_text("k.txt") == "new"


def test_missing_key_is_a_clear_error(store):
    with pytest.raises(BadInput, match="'nope.txt' not found"):
        store.get_bytes("nope.txt")


@pytest.mark.parametrize(
    "key, message",
    [
        ("../escape.txt", "may not leave"),
        ("a/../../b", "may not leave"),
        ("/etc/passwd", "absolute"),
        ("a//b", "empty segment"),
        ("a/b/", "empty segment"),
        ("", "empty"),
        ("a\\b", "backslash"),
        ("a/./b", "may not leave"),
    ],
)
def test_bad_keys_are_refused(store, key, message):
    with pytest.raises(BadInput, match=message):
        store.put_bytes(key, b"x")


def test_missing_file_to_put(store, tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        store.put_file("k", tmp_path / "absent")


def test_s3_missing_bucket_names_the_bucket(s3_env):
    store = S3Store("s3://no-such-bucket-slipway/p")
    with pytest.raises(ConfigError, match="no-such-bucket-slipway"):
        store.put_bytes("k.txt", b"x")
    with pytest.raises(ConfigError, match="no-such-bucket-slipway"):
        store.exists("k.txt")


def test_s3_missing_credentials_names_the_variables(s3_server, monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(ConfigError, match="AWS_ACCESS_KEY_ID"):
        S3Store("s3://any-bucket/p").put_bytes("k.txt", b"x")


def test_open_store_picks_backend(monkeypatch, tmp_path, s3_bucket):
    assert isinstance(open_store(str(tmp_path)), LocalStore)
    assert isinstance(open_store(f"s3://{s3_bucket}/x"), S3Store)
    with pytest.raises(BadInput, match="only local directories and s3://"):
        open_store("gs://bucket/x")
    monkeypatch.setenv("SLIPWAY_ARTIFACT_ROOT", f"s3://{s3_bucket}/from-env")
    store = open_store()
    assert isinstance(store, S3Store) and store.prefix == "from-env"


def test_s3_uri_without_bucket():
    with pytest.raises(BadInput, match="names no bucket"):
        S3Store("s3:///prefix")
