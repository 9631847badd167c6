"""The `register-version` flow and the CLI around it: register, models list/show, promote."""

from __future__ import annotations

import json

import pytest

from slipway.cli import main
from tests.support.registry import selected_copy, validation_report

NAME = "digits-cli"


def prepared(candidate_dir, trained, dest, *, select="onnx-fp32", with_report=True):
    """A candidate dir holding validation_report.json and train_result.json beside the manifest."""
    directory = selected_copy(candidate_dir, dest, select=select)
    if with_report:
        (directory / "validation_report.json").write_text(validation_report().model_dump_json())
    (directory / "train_result.json").write_text(trained.model_dump_json())
    return directory


@pytest.mark.slow
def test_cli_registers_shows_and_promotes_with_the_guard(candidate_dir, trained, tmp_path, capsys):
    directory = prepared(candidate_dir, trained, tmp_path / "a")
    # register (the files beside the manifest are picked up), twice: nothing new the second time
    assert main(["register", str(directory), "--name", NAME, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["created"] and first["version"] == "1"
    assert main(["register", str(directory), "--name", NAME, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] is False
    # models list / show print the aliases and the evidence
    assert main(["models", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": NAME, "aliases": {"candidate": "1"}, "latest_version": 1}
    ]
    assert main(["models", "show", NAME, "candidate", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["problems"] == [] and shown["evidence"]["training_run_id"] == trained.run_id
    assert shown["evidence"]["gates"]["data_validation"]["status"] == "passed"
    assert main(["models", "show", NAME, "1"]) == 0
    text = capsys.readouterr().out
    assert "data_validation  passed" in text and "promotable: yes" in text
    # promote moves champion
    assert main(["promote", NAME, "1"]) == 0
    assert "champion: version 1" in capsys.readouterr().out
    # a version without a validation report registers, but promoting it is refused (exit 1, gate
    # named)
    other = prepared(
        candidate_dir, trained, tmp_path / "b", select="ort-int8-dynamic", with_report=False
    )
    assert main(["register", str(other), "--name", NAME, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "2"
    assert main(["promote", NAME, "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: refusing to promote") and "data_validation: missing" in err


def test_register_a_missing_directory_is_exit_2(tmp_path, capsys):
    assert main(["register", str(tmp_path / "nope"), "--name", NAME]) == 2
    assert "no such candidate directory" in capsys.readouterr().err


def test_register_a_directory_without_manifest_is_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["register", str(tmp_path / "empty"), "--name", NAME]) == 2
    assert "no manifest.json" in capsys.readouterr().err


def test_an_unknown_training_run_is_bad_input(candidate_dir, trained, tmp_path):
    from flows.register_version import register_version
    from slipway.errors import BadInput
    from slipway.register.params import RegisterParams

    directory = prepared(candidate_dir, trained, tmp_path / "a")
    with pytest.raises(BadInput, match="training run 0123abcd"):
        register_version(
            RegisterParams(candidate_dir=str(directory), name=NAME, train_run_id="0123abcd")
        )


def test_show_an_unknown_model_is_exit_2(capsys):
    assert main(["models", "show", "no-such-model", "1"]) == 2
    assert "no version or alias" in capsys.readouterr().err
