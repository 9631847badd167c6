"""The `compare-with-champion` flow against a real registry: the contract compatibility gate
(narrowed, widened, allowed) and the champion comparison on the same eval rows."""

from __future__ import annotations

import pytest

from flows.compare_with_champion import compare_with_champion
from slipway.compare.params import CompareParams
from slipway.errors import GateFailed
from tasks.promote import guarded_promote
from tests.support import canary_builders as builders

pytestmark = pytest.mark.slow
NAME = "digits-compare"


@pytest.fixture
def champion(candidate_dir, trained, tmp_path):
    """A promoted champion; returns its registered serving contract."""
    from slipway.layout import read_contract
    from slipway.registry import open_registry

    directory = builders.candidate_with(candidate_dir, tmp_path / "champion")
    version = builders.register(directory, NAME, trained)
    guarded_promote(NAME, version, reason="first release")
    return read_contract(open_registry().download_bundle(NAME, version))


@pytest.fixture
def candidate(candidate_dir, tmp_path):
    """A selected candidate: the champion's graph under another sha256."""
    served = builders.relabel(builders.served_model(candidate_dir), "candidate")
    return builders.candidate_with(candidate_dir, tmp_path / "candidate", served)


def params(candidate, trained, contract, **kw) -> CompareParams:
    return CompareParams(
        name=NAME,
        candidate_dir=str(candidate),
        eval_data=trained.data_uris["eval"],
        target_column=trained.target_column,
        contract=contract,
        **kw,
    )


def narrowed(contract, feature: int, by: float = 0.5):
    features = list(contract.features)
    spec = features[feature]
    features[feature] = spec.model_copy(update={"max": spec.max - by})
    return contract.model_copy(update={"features": features}), spec


def test_a_narrower_range_fails_or_is_widened_to_the_champions(champion, candidate, trained):
    contract, spec = narrowed(champion, 5)
    # narrower, not widened: the gate fails with the exact difference, nothing is registered
    with pytest.raises(GateFailed, match=rf"{spec.name}: narrowed \(range") as refused:
        compare_with_champion(params(candidate, trained, contract, widen_ranges=False))
    assert "allow_contract_change" in str(refused.value)
    # by default the sampled range is widened to the champion's, and that is recorded
    result = compare_with_champion(params(candidate, trained, contract))
    gate = result.gates["contract_compatibility"]
    assert gate.status == "passed" and gate.details["widened_to_champion"] == [spec.name]
    assert result.contract.features[5].max == spec.max
    assert result.gates["champion_comparison"].status == "passed"  # the same model


def test_a_widened_contract_passes_and_a_removed_feature_needs_allow(champion, candidate, trained):
    wider = champion.model_copy(
        update={
            "features": [
                f.model_copy(update={"min": f.min - 1}) if i == 0 else f
                for i, f in enumerate(champion.features)
            ]
        }
    )
    gate = compare_with_champion(params(candidate, trained, wider)).gates["contract_compatibility"]
    assert gate.status == "passed" and gate.details["widened"][0].startswith(
        f"{champion.features[0].name}: widened"
    )
    fewer = champion.model_copy(update={"features": champion.features[1:]})
    with pytest.raises(GateFailed, match=rf"{champion.features[0].name}: removed"):
        compare_with_champion(params(candidate, trained, fewer))
    allowed = compare_with_champion(params(candidate, trained, fewer, allow_contract_change=True))
    assert allowed.gates["contract_compatibility"].status == "passed"
    assert allowed.gates["contract_compatibility"].details["breaking"] == [
        f"{champion.features[0].name}: removed (the champion takes it)"
    ]


def test_require_improvement_refuses_an_equal_model(champion, candidate, trained):
    with pytest.raises(
        GateFailed, match="champion_comparison failed: .*an improvement is required"
    ):
        compare_with_champion(params(candidate, trained, champion, require_improvement=True))


def test_no_champion_no_gates(candidate, trained):
    result = compare_with_champion(params(candidate, trained, None))
    assert result.gates == {} and result.champion_version is None
    assert "no champion yet" in result.summary
