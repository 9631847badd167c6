"""`slipway canary` and `slipway traffic`: flags, one-line errors, exit codes, --json."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from slipway.cli import main
from tests.conftest import free_port
from tests.support import canary_fixtures as fixtures
from tests.unit.canary.test_traffic import gatewayish  # noqa: F401  (fixture)

canary_home, in_canary_home = fixtures.canary_home, fixtures.in_canary_home


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["canary", "digits", "2", "--steps", "5,x"], "error: --steps '5,x': give percentages"),
        (["canary", "digits", "2", "--steps", ","], "error: --steps ',': give percentages"),
        (
            ["canary", "digits", "2", "--steps", "50,10"],
            "error: steps [50, 10]: weights must increase strictly",
        ),
        (
            ["canary", "digits", "2", "--interval-s", "0"],
            "error: --interval-s 0.0: Input should be greater than 0",
        ),
        (
            ["canary", "digits", "2", "--min-requests", "0"],
            "error: --min-requests 0: Input should be greater",
        ),
        (
            ["canary", "digits", "2", "--strategy", "blue-green", "--bake-s", "0"],
            "error: --bake-s 0.0: Input should be greater than 0",
        ),
        (
            ["traffic", "digits", "--rate", "0", "--duration", "1"],
            "error: --rate 0.0: give requests per second",
        ),
        (
            ["traffic", "digits", "--rate", "5", "--duration", "9999"],
            "error: --duration 9999.0: give seconds",
        ),
    ],
)
def test_bad_flags_are_one_line_errors_with_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


@pytest.mark.slow
def test_canary_with_its_metrics_source_down_is_exit_2_and_changes_nothing(
    in_canary_home, candidate_dir, trained, capsys
):
    from slipway import registry

    version = in_canary_home.register(candidate_dir, trained)
    url = f"http://127.0.0.1:{free_port()}"
    code = main(["canary", "digits", version, "--interval-s", "0.2", "--gateway", url, "--json"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert (
        captured.err.strip()
        .splitlines()[-1]
        .startswith(
            f"error: pre-flight of digits version {version}: metrics source {url}/metrics is "
            "unreachable"
        )
    )
    assert registry.open_registry().canary_progress("digits", version) is None


@pytest.mark.slow
def test_a_rolled_back_canary_prints_its_analysis_and_exits_1(
    in_canary_home, candidate_dir, trained, capsys
):
    version = in_canary_home.register_unvalidated(candidate_dir, trained)
    code = main(["canary", "digits", version, "--strategy", "blue-green", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1
    assert result["decision"] == "rollback" and result["version"] == version
    assert result["strategy"] == "blue-green"
    assert "pre-flight failed: data_validation: missing" in result["reason"]


@pytest.mark.slow
def test_canary_of_an_unknown_model_is_exit_2(capsys):
    assert main(["canary", "nobody", "1", "--interval-s", "1"]) == 2
    assert "has no version or alias '1'" in capsys.readouterr().err


def test_traffic_json_from_a_data_file(gatewayish, tmp_path, capsys):  # noqa: F811
    _, url = gatewayish
    path = tmp_path / "rows.parquet"
    pd.DataFrame({"a": [2.0, 4.0], "b": [1.0, 1.0]}).to_parquet(path)
    code = main(
        [
            "traffic",
            "digits",
            "--rate",
            "20",
            "--duration",
            "0.5",
            "--data",
            str(path),
            "--gateway",
            url,
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert (
        code == 0
        and report["sent"] == 10
        and report["by_variant"] == {"champion": {"ok": 10, "failed": 0}}
    )


def test_traffic_text_reports_failures_with_exit_1(gatewayish, tmp_path, capsys):  # noqa: F811
    _, url = gatewayish
    path = tmp_path / "rows.csv"
    pd.DataFrame({"a": [1.0, 2.0]}).to_csv(path, index=False)
    assert (
        main(
            [
                "traffic",
                "digits",
                "--rate",
                "20",
                "--duration",
                "0.2",
                "--data",
                str(path),
                "--gateway",
                url,
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "sent 4 requests" in out and "HTTP 500 from canary 2" in out
