"""promote / reject / rollback_to_previous: the only ways `champion` moves, guarded by the
evidence."""

from __future__ import annotations

import pytest

from slipway.errors import BadInput, GateFailed
from tasks.promote import guarded_promote, guarded_rollback
from tests.integration.registry.test_registration import NAME, contract_of
from tests.support.registry import selected_copy, validation_report


def register(directory, trained, report, champion_gates=None):
    from tasks.register_version import register_candidate

    return register_candidate(
        directory,
        NAME,
        contract=contract_of(directory),
        validation_report=report,
        train_result=trained,
        champion_gates=champion_gates,
    )


def compared(directory, trained):
    """compare-with-champion's real gates for `directory` against the current champion."""
    from slipway.compare.params import CompareParams
    from slipway.compare.stage import compare

    return compare(
        CompareParams(
            name=NAME,
            candidate_dir=str(directory),
            eval_data=trained.data_uris["eval"],
            target_column=trained.target_column,
            contract=contract_of(directory),
        )
    ).gates


@pytest.fixture
def two_versions(candidate_dir, trained, tmp_path):
    """Version 1 serves onnx-fp32 and is the champion ("first release"); version 2 serves
    ort-int8-dynamic (another sha256), registered with its comparison against version 1; both
    fully gated."""
    v1 = register(selected_copy(candidate_dir, tmp_path / "a"), trained, validation_report())
    guarded_promote(NAME, v1.version, reason="first release")
    second = selected_copy(candidate_dir, tmp_path / "b", select="ort-int8-dynamic")
    v2 = register(second, trained, validation_report(), compared(second, trained))
    assert (v1.version, v2.version) == ("1", "2") and v1.sha256 != v2.sha256
    return v1.version, v2.version


@pytest.mark.slow
def test_promote_over_a_champion_refuses_a_version_never_compared_with_it(
    candidate_dir, trained, tmp_path
):
    from slipway import registry

    v1 = register(selected_copy(candidate_dir, tmp_path / "a"), trained, validation_report())
    guarded_promote(NAME, v1.version, reason="first release")
    # registered by hand without a comparison: every other gate passed
    second = selected_copy(candidate_dir, tmp_path / "b", select="ort-int8-dynamic")
    v2 = register(second, trained, validation_report())
    with pytest.raises(GateFailed, match="champion_comparison: missing"):
        guarded_promote(NAME, v2.version, reason="by hand")
    assert registry.open_registry().alias(NAME, "champion") == v1.version
    # compare-with-champion's gates for it: INT8 of the same model is not worse beyond the noise
    gates = compared(second, trained)
    assert gates["champion_comparison"].status == "passed"
    assert gates["champion_comparison"].details["test"] == "mcnemar-exact"
    assert gates["champion_comparison"].details["champion_version"] == v1.version
    assert gates["contract_compatibility"].summary.startswith("same contract as champion")


@pytest.mark.slow
def test_promote_records_previous_and_rollback_brings_it_back(two_versions):
    from slipway import registry

    v1, v2 = two_versions
    # when v1 then v2 are promoted
    first = guarded_promote(NAME, v1, reason="first release")
    second = guarded_promote(NAME, "candidate", reason="canary passed")
    # then champion is v2, previous v1, and the candidate alias is gone
    assert (first.previous, second.version, second.previous) == (None, v2, v1)
    assert (
        registry.open_registry().alias(NAME, "champion") == v2
        and registry.open_registry().alias(NAME, "previous") == v1
    )
    assert registry.open_registry().alias(NAME, "candidate") is None
    c = registry.open_registry().client
    assert c.get_model_version(NAME, v2).tags["slipway.status"] == "champion"
    assert c.get_model_version(NAME, v1).tags["slipway.status"] == "previous"
    assert "slipway.promoted_at" in c.get_model_version(NAME, v2).tags
    # promoting the champion again changes nothing
    assert guarded_promote(NAME, v2, reason="again") == second
    # when it rolls back: v1 serves, v2 is tagged, previous is cleared
    back = guarded_rollback(NAME, reason="error rate doubled")
    assert (back.version, back.previous) == (v1, v2)
    assert (
        registry.open_registry().alias(NAME, "champion") == v1
        and registry.open_registry().alias(NAME, "previous") is None
    )
    tags = c.get_model_version(NAME, v2).tags
    assert (
        tags["slipway.status"] == "rolled_back"
        and tags["slipway.rolled_back_reason"] == "error rate doubled"
    )
    # and a second rollback has nowhere to go
    with pytest.raises(BadInput, match="no `previous` version"):
        guarded_rollback(NAME, reason="again")


@pytest.mark.slow
def test_promoting_back_a_former_champion_needs_no_comparison(two_versions):
    from slipway import registry

    v1, v2 = two_versions
    guarded_promote(NAME, v2, reason="canary passed")
    # v1 was registered before any champion existed (no comparison), but it was the champion
    back = guarded_promote(NAME, v1, reason="back to the former champion")
    assert (back.version, back.previous) == (v1, v2)
    assert registry.open_registry().alias(NAME, "champion") == v1


@pytest.mark.slow
def test_reject_tags_the_version_and_drops_the_candidate_alias(two_versions):
    from slipway import registry

    v1, v2 = two_versions
    guarded_promote(NAME, v1, reason="first release")
    registry.open_registry().reject(
        NAME, v2, reason="canary: p99 latency 2.3x the champion", details={"p99_ratio": 2.3}
    )
    tags = registry.open_registry().client.get_model_version(NAME, v2).tags
    assert tags["slipway.status"] == "rejected" and "p99" in tags["slipway.rejected_reason"]
    assert '"p99_ratio": 2.3' in tags["slipway.rejected_details"]
    assert registry.open_registry().alias(NAME, "candidate") is None
    with pytest.raises(BadInput, match="is the champion"):
        registry.open_registry().reject(NAME, v1, reason="x", details={})


@pytest.mark.slow
def test_promote_refuses_a_version_with_a_missing_gate(candidate_dir, trained, tmp_path):
    from slipway import registry

    # given a version registered without a data validation report (gate missing)
    version = register(selected_copy(candidate_dir, tmp_path / "a"), trained, None).version
    assert (
        registry.open_registry()
        .client.get_model_version(NAME, version)
        .tags["slipway.gate.data_validation"]
        == "missing"
    )
    # when it is promoted, then it is refused naming the gate, and champion does not move
    with pytest.raises(GateFailed, match="data_validation: missing"):
        guarded_promote(NAME, version, reason="try")
    assert registry.open_registry().alias(NAME, "champion") is None


def test_promote_refuses_a_version_without_evidence(tmp_path):
    """A version registered straight through MLflow (no evidence.json): every gate missing."""
    import mlflow

    from slipway import registry
    from slipway.tracking import configure_mlflow

    experiment_id = configure_mlflow()
    (tmp_path / "model.txt").write_text("not a slipway bundle")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(str(tmp_path / "model.txt"), "bundle")
    c = registry.open_registry().client
    c.create_registered_model(NAME)
    c.create_model_version(NAME, f"runs:/{run.info.run_id}/bundle", run_id=run.info.run_id)
    with pytest.raises(GateFailed) as refused:
        guarded_promote(NAME, "1", reason="by hand")
    for gate in ("data_validation", "parity", "accuracy", "latency"):
        assert f"{gate}: missing" in str(refused.value)


def test_promote_an_unknown_version_is_bad_input():
    from slipway import registry

    registry.open_registry().client.create_registered_model(NAME)
    with pytest.raises(BadInput, match="no version or alias '9'"):
        guarded_promote(NAME, "9", reason="x")
