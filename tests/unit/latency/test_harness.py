"""Worker subprocesses: real measurements, and crashes/hangs/bad models become failed rows."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from slipway.core.manifest import MANIFEST_FILE, Manifest
from slipway.latency.harness import baseline_skip_reason, run_worker, worker_specs
from slipway.latency.host import host_record, parse_cpuinfo

pytestmark = pytest.mark.slow

SETTINGS = {
    "batch_sizes": [1, 4],
    "threads": [1],
    "duration_s": 0.01,
    "warmup": 2,
    "max_cv": 0.5,
    "max_attempts": 2,
}


@pytest.fixture
def specs(candidate_dir, tmp_path):
    manifest = Manifest.model_validate_json((candidate_dir / MANIFEST_FILE).read_text())
    inputs = tmp_path / "inputs.npy"
    np.save(inputs, np.random.default_rng(0).standard_normal((16, 64)).astype(np.float32))
    return worker_specs(manifest, candidate_dir, inputs, SETTINGS)


def test_worker_measures_a_real_candidate(specs):
    # given the fixture's accepted ONNX candidates (no source path: no baseline)
    assert [s["name"] for s in specs] == ["onnx-fp32", "ort-int8-dynamic"]
    # when one is measured in its own process
    result = run_worker(specs[0], timeout_s=120)
    # then latency, throughput per batch size, load time and peak memory come back
    assert result["ok"], result
    run = result["runs"][0]
    assert run["threads"] == 1 and run["latency"]["samples"] >= 20
    assert [b["batch"] for b in run["batches"]] == [1, 4]
    assert all(b["throughput"] > 0 for b in run["batches"])
    assert run["load_s"] > 0 and result["peak_rss_mb"] > 10
    assert result["pid"] > 0


def test_a_crashing_worker_is_a_failed_result(specs):
    result = run_worker(specs[0], timeout_s=60, module="tests.unit.latency.crashing_worker")
    assert result == {"ok": False, "error": result["error"]}
    assert result["error"].startswith("worker crashed (killed by signal 6)")


def test_a_hanging_worker_is_killed_at_its_timeout(specs):
    result = run_worker(specs[0], timeout_s=2, module="tests.unit.latency.hanging_worker")
    assert result == {"ok": False, "error": "timeout: the worker ran over 2 s and was killed"}


def test_a_model_that_does_not_load_is_a_failed_result_naming_the_file(
    specs, candidate_dir, tmp_path
):
    # given a copy of the candidates with the FP32 model file overwritten by garbage
    bundle = tmp_path / "bundle"
    shutil.copytree(candidate_dir, bundle)
    (bundle / "onnx-fp32" / "model.onnx").write_bytes(b"not an onnx model")
    spec = {**specs[0], "bundle_dir": str(bundle)}
    result = run_worker(spec, timeout_s=120)
    assert not result["ok"]
    assert "model.onnx: ONNX Runtime cannot load it" in result["error"]


def test_source_baseline_is_specified_only_when_it_can_load(candidate_dir, tmp_path):
    manifest = Manifest.model_validate_json((candidate_dir / MANIFEST_FILE).read_text())
    assert baseline_skip_reason(manifest) == "the manifest's source has no path"
    manifest.source = {"kind": "sklearn", "path": "source/model.skops"}
    assert baseline_skip_reason(manifest) is None
    specs = worker_specs(manifest, candidate_dir, tmp_path / "x.npy", SETTINGS)
    assert specs[0]["name"] == "source-sklearn" and specs[0]["role"] == "baseline"
    manifest.source = {"kind": "onnx", "path": "m.onnx"}
    assert "has no framework baseline" in baseline_skip_reason(manifest)


def test_host_record_names_cpu_flags_libraries_and_threads():
    host = host_record([1, 2])
    assert host["logical_cores"] >= 1 and host["threads_measured"] == [1, 2]
    assert set(host["int8_flags"]) >= {"avx512_vnni", "avx_vnni", "amx_int8"}
    assert host["libraries"]["onnxruntime"] != "not installed"
    json.dumps(host)


@pytest.mark.parametrize(
    ("text", "model", "flags"),
    [
        (
            "model name\t: Xeon\nflags\t\t: avx2 avx512_vnni amx_int8\n",
            "Xeon",
            {"avx2", "avx512_vnni", "amx_int8"},
        ),
        ("processor\t: 0\n", "", set()),
    ],
)
def test_parse_cpuinfo(text, model, flags):
    assert parse_cpuinfo(text) == (model, flags)
