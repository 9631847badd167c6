"""The `slipway` command: help, exit codes, one-line errors, --json."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from slipway.cli import main


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("train", "doctor", "demo"):
        assert command in out


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from slipway.cli import build_parser; build_parser();"
        "heavy=[m for m in "
        "('prefect','mlflow','great_expectations','onnxruntime','openvino','torch','whylogs',"
        "'sklearn','pandas') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""


def test_bad_input_is_one_line_exit_2(capsys):
    assert main(["train", "--hidden-layers", "a,b"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --hidden-layers")
    assert "Traceback" not in err


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as exc:
        main(["train", "--max-iter", "many"])
    assert exc.value.code == 2


def test_doctor_json_reports_cpu_and_tensorrt(capsys):
    code = main(["doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert "CPUExecutionProvider" in checks["onnxruntime providers"]["detail"]
    assert checks["tensorrt"]["status"] in ("unavailable", "ok")
    if checks["tensorrt"]["status"] == "unavailable":
        assert "no CUDA device" in checks["tensorrt"]["detail"]
    assert code in (0, 1)
    assert checks["mlflow tracking"]["status"] == "ok"


def test_doctor_flags_unreachable_mlflow(capsys, monkeypatch):
    monkeypatch.setenv("SLIPWAY_TRACKING_URI", "http://127.0.0.1:9")
    assert main(["doctor", "--json"]) == 1
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert checks["mlflow tracking"]["status"] == "fail"
    assert "127.0.0.1:9" in checks["mlflow tracking"]["detail"]


def test_unreachable_mlflow_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setenv("SLIPWAY_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    from slipway.errors import ConfigError
    from slipway.tracking import configure_mlflow

    with pytest.raises(ConfigError, match="127.0.0.1:9"):
        configure_mlflow()


@pytest.mark.slow
def test_train_json(capsys):
    assert main(["train", "--json", "--max-iter", "5", "--hidden-layers", "16"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"run_id", "model_uri", "data_uris"} <= set(result)


def all_parsers(parser, prefix=()):
    """(command words, parser) of every subcommand, nested ones (`models show`) included."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from all_parsers(sub, (*prefix, name))


def test_every_subcommand_help_shows_its_defaults():
    """Issue 19 item 14: each option with a default says it in `--help`."""
    from slipway.cli import build_parser, shows_default

    checked = 0
    for words, parser in all_parsers(build_parser()):
        text = " ".join(parser.format_help().split())
        for action in parser._actions:
            if not shows_default(action):
                continue
            default = action.default
            shown = ",".join(map(str, default)) if isinstance(default, list | tuple) else default
            name = action.option_strings[0] if action.option_strings else action.dest
            assert (
                f"default: {default}" in text
                or f"default {shown}" in text
                or f"default: {shown}" in text
            ), f"slipway {' '.join(words)} --help does not show {name}'s default {default!r}"
            checked += 1
    assert checked > 40  # the walk reached every subcommand's options
