"""The `release` flow: every stage in DAG order as real subflow runs; a failing gate stops it."""

from __future__ import annotations

import pytest

from flows.release import release
from slipway.errors import GateFailed
from slipway.release.params import ReleaseParams
from slipway.train.params import TrainParams

pytestmark = pytest.mark.slow

SMALL = {
    "train": TrainParams(max_iter=40, hidden_layers=(32,)),
    "targets": ["onnx-fp32", "ort-int8-dynamic"],
    "bench_batch_sizes": [1],
    "bench_threads": [1],
}


def test_first_release_runs_every_stage_and_promotes_through_the_guard():
    from prefect.client.orchestration import get_client

    from slipway import registry

    result = release(ReleaseParams(model_name="digits-release", **SMALL))
    assert list(result.stages) == [
        "train",
        "validate-data",
        "convert-and-quantize",
        "benchmark-latency",
        "compare-with-champion",
        "register-version",
        "promote",
    ]
    assert result.version == "1" and result.outcome == "promoted"
    assert "validate-data PASSED" in result.stages["validate-data"]["summary"]
    assert result.stages["benchmark-latency"]["selected"] in SMALL["targets"]
    # the version carries the evidence of every gate, handed over by the release
    evidence = registry.open_registry().read_evidence("digits-release", "1")
    assert {g: gate.status for g, gate in evidence.gates.items()} == {
        "data_validation": "passed",
        "parity": "passed",
        "accuracy": "passed",
        "latency": "passed",
    }
    assert evidence.training_run_id == result.stages["train"]["run_id"]
    # handed over typed: nothing was written beside the candidates' manifest to be read back
    from pathlib import Path

    candidate_dir = Path(result.stages["convert-and-quantize"]["candidate_dir"])
    assert not {"validation_report.json", "train_result.json", "serving_contract.json"} & {
        p.name for p in candidate_dir.iterdir()
    }
    assert registry.open_registry().alias("digits-release", registry.CHAMPION) == "1"
    # each stage ran as its own subflow run of this release
    with get_client(sync_client=True) as client:
        names = {
            client.read_flow(run.flow_id).name
            for run in client.read_flow_runs()
            if run.parent_task_run_id is not None
        }
    assert {
        "train",
        "validate-data",
        "convert-and-quantize",
        "benchmark-latency",
        "register-version",
    } <= names

    # a second version while a champion exists and no canary is asked for: registered, waiting
    second = release(
        ReleaseParams(
            model_name="digits-release",
            **{**SMALL, "train": TrainParams(max_iter=40, hidden_layers=(32,), seed=1)},
        )
    )
    assert (second.version, second.outcome) == ("2", "registered")
    assert registry.open_registry().alias("digits-release", registry.CANDIDATE) == "2"
    assert registry.open_registry().alias("digits-release", registry.CHAMPION) == "1"
    # compared with champion 1 on the same eval rows before registration, recorded as evidence
    assert second.stages["compare-with-champion"]["gates"] == {
        "champion_comparison": "passed",
        "contract_compatibility": "passed",
    }
    gates = registry.open_registry().read_evidence("digits-release", "2").gates
    comparison = gates["champion_comparison"].details
    assert comparison["champion_version"] == "1" and comparison["test"] == "mcnemar-exact"
    assert comparison["rows"] > 0 and 0 <= comparison["p_value"] <= 1
    assert {"candidate", "champion"} <= set(comparison)
    assert gates["contract_compatibility"].status == "passed"

    # a much worse version (one hidden unit, one epoch) is refused before registration
    with pytest.raises(GateFailed, match="champion_comparison") as refused:
        release(
            ReleaseParams(
                model_name="digits-release",
                **{**SMALL, "train": TrainParams(max_iter=1, hidden_layers=(1,), seed=2)},
            )
        )
    assert "accuracy candidate" in str(refused.value) and "vs champion" in str(refused.value)
    assert len(registry.open_registry().versions("digits-release")) == 2
    assert registry.open_registry().alias("digits-release", registry.CHAMPION) == "1"


def test_a_failing_gate_stops_the_release_before_registration():
    from slipway import registry

    with pytest.raises(GateFailed, match="benchmark-latency"):
        release(ReleaseParams(model_name="digits-blocked", slo_p99_ms=1e-6, **SMALL))
    # nothing after the latency gate ran: no version, no alias
    assert registry.open_registry().client.search_model_versions("name='digits-blocked'") == []
