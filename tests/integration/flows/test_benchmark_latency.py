"""The `benchmark-latency` flow and `slipway bench`: real workers, real Prefect and MLflow runs."""

from __future__ import annotations

import json
import shutil

import pytest

from slipway.core.manifest import Manifest
from slipway.errors import GateFailed
from slipway.latency.params import BenchParams

pytestmark = pytest.mark.slow

FAST = {"batch_sizes": [1, 4], "threads": [1], "duration_s": 0.01}


@pytest.fixture
def bench_dir(candidate_dir, trained, tmp_path):
    """A writable copy of the candidates, with the source sklearn model for the baseline row."""
    out = tmp_path / "candidates"
    shutil.copytree(candidate_dir, out)
    (out / "source").mkdir()
    shutil.copyfile(trained.model_uri, out / "source" / "model.skops")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["source"] = {"kind": "sklearn", "format": "sklearn", "path": "source/model.skops"}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_flow_measures_gates_chooses_and_writes_the_manifest(bench_dir, trained):
    import mlflow

    from flows.benchmark_latency import benchmark_latency

    # when the flow runs on eval rows with a generous SLO
    result = benchmark_latency(
        BenchParams(
            candidate_dir=str(bench_dir),
            eval_data=trained.data_uris["eval"],
            slo_p99_ms=10_000,
            **FAST,
        )
    )
    # then the source baseline and both candidates are measured
    assert [(r.name, r.role, r.status) for r in result.rows] == [
        ("source-sklearn", "baseline", "ok"),
        ("onnx-fp32", "candidate", "ok"),
        ("ort-int8-dynamic", "candidate", "ok"),
    ]
    assert all(r.speedup_vs_baseline and r.latency["samples"] >= 20 for r in result.rows)
    # and one candidate is chosen, the other has a reason
    assert result.passed and result.selection.candidate in {"onnx-fp32", "ort-int8-dynamic"}
    (loser,) = set(result.selection.losers) - {"source-sklearn"}
    assert result.selection.losers[loser]
    # and the manifest carries the table, the host and the choice for register-version
    manifest = Manifest.model_validate_json((bench_dir / "manifest.json").read_text())
    assert manifest.selection.candidate == result.selection.candidate
    assert len(manifest.benchmark["rows"]) == 3 and manifest.benchmark["host"]["cpu_model"]
    # and the chart, JSON and markdown exist and are logged to MLflow
    assert result.chart_path.endswith("latency.png")
    with open(result.chart_path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    run = mlflow.get_run(result.mlflow_run_id)
    assert run.data.tags["slipway.selected"] == result.selection.candidate
    assert f"{result.selection.candidate}.p99_ms" in run.data.metrics
    assert (
        run.info.experiment_id != "0"
    )  # the slipway experiment, not the Default one under ./mlruns
    assert "benchmark/latency.png" in {
        a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "benchmark")
    }


def test_cli_with_an_slo_no_candidate_meets_exits_1_with_the_table(bench_dir, capsys):
    from slipway.cli import main

    # given an impossible SLO, when `slipway bench` runs
    code = main(
        [
            "bench",
            str(bench_dir),
            "--batch-sizes",
            "1",
            "--threads",
            "1",
            "--duration-s",
            "0.01",
            "--slo-p99-ms",
            "0.00001",
        ]
    )
    out, err = capsys.readouterr()
    # then it exits 1, prints the table with every loser's reason, and the manifest has no selection
    assert code == 1
    assert "| onnx-fp32 |" in out and "is over the SLO 1e-05 ms" in out and "GATE FAILED" in out
    assert "gate failed: no candidate meets the SLO" in err
    manifest = Manifest.model_validate_json((bench_dir / "manifest.json").read_text())
    assert manifest.selection is None and manifest.benchmark["rows"]


def test_flow_raises_gate_failed_carrying_the_result(candidate_dir, tmp_path):
    from flows.benchmark_latency import benchmark_latency

    model = tmp_path / "m.onnx"
    shutil.copyfile(candidate_dir / "ort-int8-dynamic" / "model.onnx", model)
    with pytest.raises(GateFailed, match="no candidate meets the SLO") as info:
        benchmark_latency(
            BenchParams(
                candidate_dir=str(model),
                slo_p99_ms=1e-6,
                batch_sizes=[1],
                threads=[1],
                duration_s=0.01,
            )
        )
    assert (
        info.value.report.rows[0].name == "onnx-model" and info.value.report.manifest_path is None
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-sizes", "1,0"], "--batch-sizes '1,0': give positive integers"),
        (["--batch-sizes", "eight"], "--batch-sizes 'eight': give positive integers"),
        (["--threads", "-1"], "--threads '-1': give positive integers"),
        (["--duration-s", "0"], "--duration-s: Input should be greater than 0"),
    ],
)
def test_cli_bad_numbers_exit_2_with_one_line(args, message, tmp_path, capsys):
    from slipway.cli import main

    code = main(["bench", str(tmp_path), *args])
    assert code == 2 and message in capsys.readouterr().err


def test_cli_directory_without_manifest_exits_2(tmp_path, capsys):
    from slipway.cli import main

    assert main(["bench", str(tmp_path)]) == 2
    assert "no manifest.json in this directory" in capsys.readouterr().err
