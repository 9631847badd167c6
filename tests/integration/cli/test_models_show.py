"""Issue 19 item 10: `slipway models show` prints the latency table and host as tables, not
raw Python dicts; `--json` keeps the raw records."""

from __future__ import annotations

import json

import pytest

from slipway.cli import main
from tests.integration.cli.test_json_output import NAME, registered

pytestmark = pytest.mark.slow

ROWS = [
    {
        "name": "onnx-fp32",
        "role": "candidate",
        "runtime": "onnxruntime",
        "precision": "fp32",
        "status": "ok",
        "size_bytes": 2048,
        "threads": 1,
        "latency": {"p50_ms": 0.021, "p95_ms": 0.03, "p99_ms": 0.05},
        "batches": [{"threads": 1, "batch": 1, "throughput": 41000.0}],
    }
]
HOST = {
    "cpu_model": "Test CPU",
    "usable_cores": 2,
    "int8_flags": {"avx512_vnni": False, "avx2": True},
    "libraries": {"onnxruntime": "1.23.2"},
    "thread_env": {"OMP_NUM_THREADS": ""},
}


def test_models_show_prints_tables(candidate_dir, trained, tmp_path, capsys):
    # given a version whose evidence holds benchmark-latency's rows and host
    benchmark = {"rows": ROWS, "host": HOST, "passed": True}
    version = registered(candidate_dir, trained, tmp_path / "c", benchmark=benchmark)
    capsys.readouterr()
    # when shown as text
    assert main(["models", "show", NAME, version]) == 0
    text = capsys.readouterr().out
    # then a table with a header and one row per model, the host as key: value lines
    assert "{" not in text and "'p50_ms'" not in text
    lines = text.splitlines()
    header = next(line for line in lines if "p99 ms" in line)
    assert "rows/s b1" in header and "model" in header
    row = next(line for line in lines if line.strip().startswith("onnx-fp32") and "0.050" in line)
    assert "selected" in row and "41000" in row
    assert "  cpu model: Test CPU" in lines and "  int8 flags: avx2" in lines
    assert "  libraries: onnxruntime 1.23.2" in lines
    # and --json keeps the raw records
    assert main(["models", "show", NAME, version, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["evidence"]["latency"]["host"] == HOST


def test_host_lines_summarise_nested_records():
    from slipway.latency.report import host_lines

    lines = host_lines({**HOST, "load_avg_1m": 8.7724609375, "threads_measured": [1, 2]})
    assert "load avg 1m: 8.77" in lines and "threads measured: 1, 2" in lines
    assert "int8 flags: avx2" in lines and "thread env: -" in lines
