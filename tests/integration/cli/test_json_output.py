"""Issue 19 item 8: `--json` prints exactly one JSON document on stdout, whatever the libraries
print meanwhile (NNCF's progress bars, OpenVINO, prints): every `--json` command on small inputs,
stdout parsed with json.loads.

Not run here: `demo` (the whole loop, about 3 minutes), `canary`, `traffic` and `monitor`
(a live gateway with traffic and profiles; their JSON is checked in tests/e2e).
"""

from __future__ import annotations

import json
import shutil

import pytest

from slipway.cli import main
from tests.support.registry import selected_copy

pytestmark = pytest.mark.slow
NAME = "digits-json"


def registered(candidate_dir, trained, dest, select="onnx-fp32", **copy_options) -> str:
    """Register a copy of the candidate dir with every gate's evidence (the champion comparison
    included once a champion exists); return the version."""
    from tests.support.canary_builders import register

    directory = selected_copy(candidate_dir, dest, select=select, **copy_options)
    return register(directory, NAME, trained)


def setup_none(**_):
    return []


def argv_train(**_):
    return ["train", "--max-iter", "2", "--hidden-layers", "4"]


def argv_validate(small_model, **_):
    data = str(small_model[2])
    return ["validate", data, "--reference", data, "--target-column", "digit"]


def argv_optimize(small_model, tmp_path, **_):
    model, eval_path = str(small_model[1]), str(small_model[2])
    targets = "onnx-fp32,openvino-int8"  # NNCF draws progress bars while it quantizes
    return [
        "optimize",
        model,
        "--eval-data",
        eval_path,
        "--target-column",
        "digit",
        "--targets",
        targets,
        "--out",
        str(tmp_path / "out"),
    ]


def argv_bench(candidate_dir, tmp_path, **_):
    shutil.copytree(candidate_dir, tmp_path / "c")
    return ["bench", str(tmp_path / "c"), "--batch-sizes", "1", "--threads", "1"] + [
        "--duration-s",
        "0.05",
    ]


def argv_drift(small_model, **_):
    return ["drift", str(small_model[2]), str(small_model[2])]


def argv_register(candidate_dir, trained, tmp_path, **_):
    directory = selected_copy(candidate_dir, tmp_path / "c")
    reference = trained.data_uris["reference"]
    return ["register", str(directory), "--name", NAME, "--reference-data", reference]


def argv_models_list(candidate_dir, trained, tmp_path, **_):
    registered(candidate_dir, trained, tmp_path / "c")
    return ["models", "list"]


def argv_models_show(candidate_dir, trained, tmp_path, **_):
    version = registered(candidate_dir, trained, tmp_path / "c")
    return ["models", "show", NAME, version]


def argv_promote(candidate_dir, trained, tmp_path, **_):
    version = registered(candidate_dir, trained, tmp_path / "c")
    return ["promote", NAME, version, "--reason", "json test"]


def argv_rollback(candidate_dir, trained, tmp_path, **_):
    from slipway.registry import open_registry

    first = registered(candidate_dir, trained, tmp_path / "a")
    open_registry().promote(NAME, first, reason="json test")
    # registered over the champion: compared with it, so it may replace it
    second = registered(candidate_dir, trained, tmp_path / "b", select="ort-int8-dynamic")
    open_registry().promote(NAME, second, reason="json test")
    return ["rollback", NAME, "--reason", "json test"]


COMMANDS = {
    "doctor": lambda **_: ["doctor"],
    "train": argv_train,
    "validate": argv_validate,
    "optimize": argv_optimize,
    "bench": argv_bench,
    "drift": argv_drift,
    "register": argv_register,
    "models list": argv_models_list,
    "models show": argv_models_show,
    "promote": argv_promote,
    "rollback": argv_rollback,
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_json_is_the_only_thing_on_stdout(
    command, small_model, candidate_dir, trained, tmp_path, capfd
):
    # given the command's small inputs (and what it needs registered)
    argv = COMMANDS[command](
        small_model=small_model, candidate_dir=candidate_dir, trained=trained, tmp_path=tmp_path
    )
    capfd.readouterr()
    # when it runs with --json
    code = main([*argv, "--json"])
    out, err = capfd.readouterr()
    # then stdout is exactly one JSON document
    assert code in (0, 1), err[-2000:]
    json.loads(out)
    assert out.strip().startswith(("{", "[")), out[:200]
