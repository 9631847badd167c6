from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from slipway.core.keys import join_key, validate_key
from slipway.errors import BadInput, ConfigError
from slipway.settings import Settings, get_settings


def test_defaults_live_under_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SLIPWAY_HOME", str(tmp_path / "h"))
    settings = get_settings()
    assert settings.resolved_tracking_uri == f"sqlite:///{tmp_path / 'h' / 'mlflow.db'}"
    assert settings.resolved_artifact_root == str(tmp_path / "h" / "artifacts")
    # no side effects: nothing is created until ensure_home()
    assert not (tmp_path / "h").exists()
    settings.ensure_home()
    assert (tmp_path / "h" / "artifacts").is_dir()


def test_settings_are_frozen_and_forbid_extras():
    settings = Settings(home=Path("x"))
    with pytest.raises(ValidationError):
        settings.home = Path("y")
    with pytest.raises(ValidationError):
        Settings(home=Path("x"), unknown_field=1)


def test_s3_artifact_root_from_env(monkeypatch):
    monkeypatch.setenv("SLIPWAY_ARTIFACT_ROOT", "s3://bucket/prefix")
    assert get_settings().resolved_artifact_root == "s3://bucket/prefix"


def test_blank_artifact_root_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("SLIPWAY_ARTIFACT_ROOT", "  ")
    with pytest.raises(ConfigError, match="SLIPWAY_ARTIFACT_ROOT"):
        get_settings()


@pytest.mark.parametrize("key", ["a", "a/b.c", "train/abc123/data/eval.parquet", "x=1/y@2"])
def test_good_keys(key):
    assert validate_key(key) == key


@pytest.mark.parametrize("key", ["..", "a/..", "/a", "a//b", "a/", "", "a b", "C:/x", "a/\x00"])
def test_bad_keys(key):
    with pytest.raises(BadInput):
        validate_key(key)


def test_join_key():
    assert join_key("a/", "/b", "c") == "a/b/c"
