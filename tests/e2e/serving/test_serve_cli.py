"""`slipway serve` refuses bad setups with one clear line (no server starts)."""

from __future__ import annotations

import json

import pytest

from slipway.cli import main


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["serve", "--models", "m"], "--keys-file"),
        (["serve", "--models", "m", "--no-auth", "--keys-file", "k.json"], "contradict"),
        (["serve", "--add-key", "ci"], "--add-key needs --keys-file"),
        (["serve", "--models", "m", "--no-auth", "--profile-sample", "2"], "--profile-sample"),
        (
            ["serve", "--models", "m", "--no-auth", "--ssl-certfile", "c.pem"],
            "both --ssl-certfile and --ssl-keyfile",
        ),
        (["serve", "--models", "m", "--keys-file", "missing.json"], "not found"),
    ],
)
def test_bad_serve_setup_is_one_line_exit_2(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and needle in err and "Traceback" not in err


def test_add_key_prints_the_key_once_and_stores_only_its_hash(tmp_path, capsys):
    path = tmp_path / "keys.json"
    assert (
        main(["serve", "--keys-file", str(path), "--add-key", "ci", "--scopes", "predict,admin"])
        == 0
    )
    plain = capsys.readouterr().out.strip()
    stored = path.read_text()
    assert plain.startswith("sk_") and plain not in stored
    assert json.loads(stored)["keys"][0]["scopes"] == ["admin", "predict"]
    assert main(["serve", "--keys-file", str(path), "--add-key", "ci"]) == 2
    assert "already has a key" in capsys.readouterr().err


def test_bad_scope_is_refused(tmp_path, capsys):
    assert (
        main(
            ["serve", "--keys-file", str(tmp_path / "k.json"), "--add-key", "x", "--scopes", "root"]
        )
        == 2
    )
    assert "unknown scope 'root'" in capsys.readouterr().err
