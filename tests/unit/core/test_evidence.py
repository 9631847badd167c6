"""The evidence bundle and its guard (pure)."""

from __future__ import annotations

import pytest

from slipway.core.evidence import (
    GATES,
    Environment,
    EvidenceBundle,
    GateResult,
    accuracy_gate,
    data_validation_gate,
    evidence_problems,
    evidence_tags,
    failed_gates,
    gates_for,
    latency_gate,
    latency_record,
    missing_evidence,
    parity_gate,
    promote_problems,
)
from slipway.core.manifest import Accuracy, Candidate, Manifest, Parity, Selection


def candidate(parity=True, accuracy=True) -> Candidate:
    return Candidate(
        name="onnx-fp32",
        format="onnx",
        runtime="onnxruntime",
        path="onnx-fp32/model.onnx",
        status="accepted",
        parity=None
        if parity is None
        else Parity(passed=parity, top1_agreement=0.998, max_abs_error={"probabilities": 1e-6}),
        accuracy=None
        if accuracy is None
        else Accuracy(
            metric="accuracy",
            value=0.97,
            baseline=0.975,
            drop=0.005,
            max_drop=0.01,
            passed=accuracy,
        ),
    )


def manifest(selection=True, benchmark=None) -> Manifest:
    return Manifest(
        candidates=[candidate()],
        benchmark=benchmark,
        selection=Selection(candidate="onnx-fp32", slo_p99_ms=2.0, why="fastest")
        if selection
        else None,
    )


def bundle(**statuses) -> EvidenceBundle:
    gates = {g: GateResult(status=statuses.get(g, "passed"), summary=f"{g} summary") for g in GATES}
    return EvidenceBundle(
        gates=gates,
        runtime="onnxruntime",
        candidate="onnx-fp32",
        serving_sha256="ab" * 32,
        environment=Environment(python="3.11.9", packages_sha256="cd" * 32),
        code_revision="deadbeef",
        training_run_id="run-1",
    )


@pytest.mark.parametrize(
    ("report", "status"),
    [
        (None, "missing"),
        ({"summary": "no success field"}, "missing"),
        ({"success": True, "summary": "10/10 passed"}, "passed"),
        (
            {
                "success": False,
                "summary": "1 critical failed",
                "outcomes": [
                    {
                        "success": False,
                        "severity": "critical",
                        "column": "pixel_03",
                        "expectation_type": "expect_x",
                    },
                    {
                        "success": False,
                        "severity": "warning",
                        "column": "pixel_04",
                        "expectation_type": "expect_y",
                    },
                ],
            },
            "failed",
        ),
    ],
)
def test_data_validation_gate(report, status):
    result = data_validation_gate(report)
    assert result.status == status
    if status == "failed":
        assert result.details["failures"] == ["pixel_03: expect_x"]


@pytest.mark.parametrize(
    ("passed", "status"), [(True, "passed"), (False, "failed"), (None, "missing")]
)
def test_parity_gate(passed, status):
    result = parity_gate(candidate(parity=passed))
    assert result.status == status
    if passed is not None:
        assert "top-1 agreement 0.9980" in result.summary


@pytest.mark.parametrize(
    ("passed", "status"), [(True, "passed"), (False, "failed"), (None, "missing")]
)
def test_accuracy_gate(passed, status):
    result = accuracy_gate(candidate(accuracy=passed))
    assert result.status == status
    if passed is not None:
        assert "drop 0.0050, limit 0.0100" in result.summary


@pytest.mark.parametrize(
    ("selection", "benchmark", "status"),
    [
        (False, {"passed": True}, "missing"),
        (True, None, "missing"),
        (True, {"table": [], "passed": True}, "passed"),
        (True, {"table": []}, "passed"),
        (True, {"table": [], "passed": False}, "failed"),
        (True, {"table": [], "gate": "failed"}, "failed"),
    ],
)
def test_latency_gate(selection, benchmark, status):
    assert latency_gate(manifest(selection, benchmark)).status == status


def test_latency_record_keeps_table_host_and_slo():
    record = latency_record(manifest(benchmark={"rows": [{"p99_ms": 1.0}], "host": {"cpu": "x"}}))
    assert (record.table, record.host, record.slo_p99_ms) == ([{"p99_ms": 1.0}], {"cpu": "x"}, 2.0)


def test_gates_for_names_every_gate():
    assert set(
        gates_for(manifest(benchmark={"passed": True}), candidate(), {"success": True})
    ) == set(GATES)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({}, []),
        ({"parity": "failed"}, ["parity: failed (parity summary)"]),
        (
            {"latency": "missing", "data_validation": "failed"},
            [
                "data_validation: failed (data_validation summary)",
                "latency: missing (latency summary)",
            ],
        ),
    ],
)
def test_evidence_problems_name_each_gate_that_did_not_pass(statuses, expected):
    assert evidence_problems(bundle(**statuses)) == expected


def test_a_gate_absent_from_the_bundle_is_missing():
    partial = bundle().model_copy(
        update={"gates": {"parity": GateResult(status="passed", summary="ok")}}
    )
    problems = evidence_problems(partial)
    assert [p.split(":")[0] for p in problems] == ["data_validation", "accuracy", "latency"]


def test_failed_gates_lists_only_failures():
    assert failed_gates(bundle(parity="failed", latency="missing")) == ["parity"]


def test_missing_evidence_refuses_every_gate():
    assert len(evidence_problems(missing_evidence("no evidence.json"))) == len(GATES)


def test_evidence_tags():
    tags = evidence_tags(bundle(latency="missing"))
    assert tags["slipway.gate.latency"] == "missing" and tags["slipway.gate.parity"] == "passed"
    assert tags["slipway.sha256"] == "ab" * 32 and tags["slipway.runtime"] == "onnxruntime"
    assert tags["slipway.candidate"] == "onnx-fp32" and tags["slipway.training_run_id"] == "run-1"
    assert (
        tags["slipway.code_revision"] == "deadbeef" and tags["slipway.packages_sha256"] == "cd" * 32
    )


def test_evidence_round_trips_through_json():
    original = bundle(parity="failed")
    assert EvidenceBundle.model_validate_json(original.model_dump_json()) == original


def with_gates(base: EvidenceBundle, **statuses) -> EvidenceBundle:
    extra = {g: GateResult(status=s, summary=f"{g} summary") for g, s in statuses.items()}
    return base.model_copy(update={"gates": {**base.gates, **extra}})


@pytest.mark.parametrize(
    ("statuses", "replaces", "expected"),
    [
        # a first version: no champion to compare with, nothing more is required
        ({}, False, []),
        # over a champion: the comparison must be there and must have passed
        ({}, True, ["champion_comparison"]),
        ({"champion_comparison": "passed"}, True, []),
        ({"champion_comparison": "failed"}, True, ["champion_comparison"]),
        ({"champion_comparison": "failed"}, False, ["champion_comparison"]),
        # the contract gate blocks when recorded and not passed, but is not required by itself
        (
            {"champion_comparison": "passed", "contract_compatibility": "failed"},
            True,
            ["contract_compatibility"],
        ),
    ],
)
def test_promote_over_a_champion_requires_the_champion_comparison(statuses, replaces, expected):
    problems = promote_problems(with_gates(bundle(), **statuses), replaces_champion=replaces)
    assert [p.split(":")[0] for p in problems] == expected


def test_the_missing_comparison_says_how_to_get_one():
    (problem,) = promote_problems(bundle(), replaces_champion=True)
    assert "never compared with the champion" in problem and "slipway release" in problem


def test_champion_gates_are_tagged_when_recorded():
    tags = evidence_tags(with_gates(bundle(), champion_comparison="passed"))
    assert tags["slipway.gate.champion_comparison"] == "passed"
    assert "slipway.gate.contract_compatibility" not in tags
