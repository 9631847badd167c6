"""Stage helpers: model size, the gate's view of the table, write-back, params validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from slipway.core.manifest import Accuracy, Candidate, Manifest
from slipway.latency.inputs import Target
from slipway.latency.params import BenchParams, TableRow
from slipway.latency.stage import decide, model_size, write_selection


def candidate(name, status="accepted", acc=True, files=()):
    return Candidate(
        name=name,
        format="onnx",
        runtime="onnxruntime",
        path=f"{name}/m.onnx",
        files=list(files),
        size_bytes=10,
        status=status,
        accuracy=Accuracy(
            metric="accuracy", value=0.9, baseline=0.9, drop=0, max_drop=0.01, passed=acc
        ),
    )


def measured(name, p50, p99, threads=1):
    return TableRow(
        name=name,
        role="candidate",
        runtime="onnxruntime",
        precision="fp32",
        status="ok",
        threads=threads,
        size_bytes=10,
        latency={"p50_ms": p50, "p99_ms": p99},
        batches=[{"threads": threads, "batch": 1, "throughput": 1000.0, "p50_ms": p50}],
    )


def test_model_size_counts_every_file_of_an_ir(tmp_path):
    (tmp_path / "ov").mkdir()
    (tmp_path / "ov" / "model.xml").write_bytes(b"x" * 3)
    (tmp_path / "ov" / "model.bin").write_bytes(b"x" * 7)
    c = candidate("ov", files=["ov/model.xml", "ov/model.bin"])
    assert model_size(tmp_path, c) == 10
    assert (
        model_size(tmp_path, candidate("gone", files=["gone/m.onnx"])) == 10
    )  # falls back to the manifest


def test_decide_skips_unmeasured_and_failing_candidates_with_reasons():
    manifest = Manifest(
        candidates=[
            candidate("a"),
            candidate("b", acc=False),
            candidate("c", status="unavailable"),
            candidate("d"),
        ]
    )
    rows = [measured("a", 0.5, 1.0, threads=2), measured("b", 0.1, 0.2), measured("d", 0.9, 1.5)]
    outcome, selection = decide(rows, manifest, BenchParams(candidate_dir="x", slo_p99_ms=5))
    assert selection.candidate == "a" and selection.threads == 2 and selection.p99_ms == 1.0
    assert selection.losers == {
        "b": "failed the accuracy gate",
        "c": "not accepted by convert-and-quantize (status unavailable)",
        "d": "slower: p50 0.900 ms vs a's 0.500 ms",
    }


def test_write_selection_records_benchmark_and_clears_a_stale_selection(tmp_path):
    path = tmp_path / "manifest.json"
    manifest = Manifest(candidates=[candidate("a")], selection={"candidate": "a", "why": "old run"})
    path.write_text(manifest.model_dump_json())
    target = Target(manifest, tmp_path, path)
    write_selection(
        target, [measured("a", 1.0, 2.0)], {"cpu_model": "x"}, BenchParams(candidate_dir="x"), None
    )
    written = Manifest.model_validate_json(path.read_text())
    assert written.selection is None
    assert (
        written.benchmark["host"] == {"cpu_model": "x"}
        and written.benchmark["params"]["slo_p99_ms"] == 50.0
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"batch_sizes": [0]},
        {"batch_sizes": []},
        {"threads": [-1]},
        {"duration_s": 0},
        {"slo_p99_ms": -1},
        {"min_throughput": 0},
    ],
)
def test_params_refuse_non_positive_numbers(bad):
    with pytest.raises(ValidationError):
        BenchParams(candidate_dir="x", **bad)
