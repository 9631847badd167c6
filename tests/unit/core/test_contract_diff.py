"""The contract compatibility gate (pure): what a client of the champion would notice."""

from __future__ import annotations

import pytest

from slipway.core.contract import FeatureSpec, ServingContract
from slipway.core.contract_diff import contract_gate, diff_contracts, widen_to_champion


def spec(name, dtype="float32", lo=0.0, hi=16.0, values=None, nullable=False) -> FeatureSpec:
    return FeatureSpec(
        name=name, dtype=dtype, min=lo, max=hi, allowed_values=values, nullable=nullable
    )


def contract(*features: FeatureSpec) -> ServingContract:
    return ServingContract(features=list(features))


CHAMPION = contract(spec("a"), spec("b"), spec("color", "string", None, None, ["red", "blue"]))


@pytest.mark.parametrize(
    ("candidate", "kinds"),
    [
        (CHAMPION, []),
        (contract(spec("a"), spec("color", "string", None, None, ["red", "blue"])), ["removed"]),
        (contract(*CHAMPION.features, spec("c")), ["added"]),
        (
            contract(spec("b"), spec("a"), spec("color", "string", None, None, ["red", "blue"])),
            ["order"],
        ),
        (
            contract(
                spec("a", "int64"), spec("b"), spec("color", "string", None, None, ["red", "blue"])
            ),
            ["dtype"],
        ),
        (
            contract(spec("a", hi=12.0), spec("b"), *CHAMPION.features[2:]),
            ["narrowed"],
        ),
        (
            contract(spec("a", lo=1.0), spec("b"), *CHAMPION.features[2:]),
            ["narrowed"],
        ),
        (
            contract(spec("a"), spec("b", hi=None), *CHAMPION.features[2:]),
            ["widened"],
        ),
        (
            contract(spec("a"), spec("b", lo=-1.0, hi=20.0), *CHAMPION.features[2:]),
            ["widened"],
        ),
        (
            contract(spec("a"), spec("b"), spec("color", "string", None, None, ["red"])),
            ["narrowed"],
        ),
        (
            contract(
                spec("a"), spec("b"), spec("color", "string", None, None, ["red", "blue", "x"])
            ),
            ["widened"],
        ),
        (contract(spec("a"), spec("b"), spec("color", "string", None, None, None)), ["widened"]),
    ],
)
def test_diff_names_each_kind_of_difference(candidate, kinds):
    assert [c.kind for c in diff_contracts(CHAMPION, candidate).changes] == kinds


def test_nullability_narrowed_and_widened():
    nullable = contract(spec("a", nullable=True))
    strict = contract(spec("a"))
    assert [c.kind for c in diff_contracts(nullable, strict).changes] == ["narrowed"]
    assert [c.kind for c in diff_contracts(strict, nullable).changes] == ["widened"]


def test_a_narrowed_range_fails_the_gate_with_the_exact_difference():
    candidate = contract(spec("a", hi=12.0), spec("b"), *CHAMPION.features[2:])
    gate = contract_gate(
        diff_contracts(CHAMPION, candidate), champion_version="3", allow_change=False
    )
    assert gate.status == "failed"
    assert "a: narrowed (range [0, 16] -> [0, 12])" in gate.summary
    assert "champion version 3" in gate.summary and "allow_contract_change" in gate.summary


def test_allow_contract_change_passes_and_records_the_difference():
    candidate = contract(spec("a"))
    gate = contract_gate(
        diff_contracts(CHAMPION, candidate), champion_version="3", allow_change=True
    )
    assert gate.status == "passed" and "allowed" in gate.summary
    assert gate.details["breaking"] == [
        "b: removed (the champion takes it)",
        "color: removed (the champion takes it)",
    ]


def test_a_widened_contract_passes_and_is_recorded():
    candidate = contract(spec("a", lo=-2.0), spec("b"), *CHAMPION.features[2:])
    gate = contract_gate(
        diff_contracts(CHAMPION, candidate), champion_version="1", allow_change=False
    )
    assert gate.status == "passed" and "widened: a" in gate.summary
    assert gate.details["widened"] == ["a: widened (range [0, 16] -> [-2, 16])"]


def test_widen_to_champion_covers_the_champions_ranges_only():
    candidate = contract(
        spec("a", lo=1.0, hi=12.0),
        spec("b", lo=-1.0, hi=3.0),
        spec("color", "string", None, None, ["red"]),
    )
    widened, names = widen_to_champion(CHAMPION, candidate)
    assert names == ["a", "b"]
    a, b, color = widened.features
    assert (a.min, a.max) == (0.0, 16.0) and (b.min, b.max) == (-1.0, 16.0)
    # a lost category stays lost: the new model may never have seen it
    assert color.allowed_values == ["red"]
    diff = diff_contracts(CHAMPION, widened)
    assert [c.line() for c in diff.breaking] == ["color: narrowed (allowed values lose blue)"]


def test_widen_leaves_unbounded_and_mismatched_features_alone():
    candidate = contract(spec("a", "int64", lo=3.0), spec("b", hi=None))
    widened, names = widen_to_champion(CHAMPION, candidate)
    assert names == [] and widened == candidate


def test_a_renamed_input_tensor_is_breaking():
    renamed = CHAMPION.model_copy(update={"input_name": "float_input"})
    assert [c.kind for c in diff_contracts(CHAMPION, renamed).breaking] == ["input"]
