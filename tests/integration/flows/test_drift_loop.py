"""The drift loop end to end: real MLflow registry, real Prefect flow runs, real profiles."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from flows.drift_monitor import drift_monitor
from slipway.drift.params import MonitorParams
from slipway.drift.policy_file import EXAMPLE_POLICY
from tests.support.drift import (
    FEATURES,
    bad_model,
    make_bundle,
    register_versions,
    with_predictions,
    write_profile,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

NAME = "digits-drift"


@pytest.fixture(autouse=True)
def unique_name(monkeypatch):
    """A model name per test: the Prefect API (and so the retrain/rollback run history that the
    cooldown reads) is shared by the whole session, the MLflow registry is not."""
    import sys
    import uuid

    monkeypatch.setattr(sys.modules[__name__], "NAME", f"digits-drift-{uuid.uuid4().hex[:8]}")


NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def bundle(trained, candidate_dir, tmp_path_factory):
    from slipway.data import read_table

    reference = read_table(trained.data_uris["reference"])
    return make_bundle(candidate_dir, reference, tmp_path_factory.mktemp("bundle") / "bundle")


@pytest.fixture(scope="module")
def production(trained):
    """Unshifted production traffic: the eval split (same distribution as the reference)."""
    from slipway.data import read_table

    return read_table(trained.data_uris["eval"])


@pytest.fixture(scope="module")
def bad_bundle(trained, tmp_path_factory):
    """A bundle whose model is wrong on almost every row (labels shifted by one in training)."""
    from slipway.data import read_table
    from tests.support.candidates import build_candidate_dir

    reference = read_table(trained.data_uris["reference"])
    candidates = build_candidate_dir(
        bad_model(reference), reference, "digit", tmp_path_factory.mktemp("bad-candidates")
    )
    return make_bundle(candidates, reference, tmp_path_factory.mktemp("bad") / "bundle")


@pytest.fixture
def bad_promotion(bundle, bad_bundle):
    """v1 (good) then v2 (bad) promoted just now: v2 is champion, v1 previous."""
    from tasks.promote import guarded_promote as promote

    v1, v2 = register_versions(NAME, bundle, bundles=[bundle, bad_bundle])
    promote(NAME, v1, reason="first release")
    promote(NAME, v2, reason="canary passed")
    return v1, v2


@pytest.fixture
def registered(bundle):
    """v1 and v2, both promoted through the guarded promote: v2 is champion, v1 previous."""
    from tasks.promote import guarded_promote as promote

    v1, v2 = register_versions(NAME, bundle)
    promote(NAME, v1, reason="first release")
    promote(NAME, v2, reason="canary passed")
    return v1, v2


def write_window(bundle, version, frame, hours=(3, 1)):
    """Half the frame in each of two gateway windows (two replicas)."""
    half = len(frame) // 2
    parts = (frame.iloc[:half], frame.iloc[half:])
    return [
        write_profile(
            NAME,
            version,
            with_predictions(bundle, part[FEATURES]),
            NOW - timedelta(hours=h),
            replica=f"gw-{i}",
        )
        for i, (part, h) in enumerate(zip(parts, hours, strict=True))
    ]


def params(**kw):
    return MonitorParams(model_name=NAME, window="24h", policy=str(EXAMPLE_POLICY), now=NOW, **kw)


def test_no_drift_window_gives_none_and_reports(registered, bundle, production):
    import mlflow

    from slipway.registry import open_registry
    from slipway.store import open_store

    _, v2 = registered
    keys = write_window(bundle, v2, production)
    result = drift_monitor(params(act="off"))
    assert result.decision.action == "none", result.decision.reasons
    assert result.event_id is None
    assert result.version == v2 and result.profiles == keys
    assert result.scores.rows == len(production)
    # the JSON report is in the store, the PNG chart too, metrics on the monitoring run in MLflow
    stored = json.loads(open_store().get_text(result.report["json"].split("artifacts/", 1)[1]))
    assert stored["decision"]["action"] == "none"
    assert open_store().exists(result.report["png"].split("artifacts/", 1)[1])
    run = mlflow.get_run(result.report["mlflow_run_id"])
    assert run.data.metrics["drift_rows"] == len(production)
    assert "drift_pixel_21" in run.data.metrics
    assert (
        open_registry().client.get_model_version(NAME, v2).tags["slipway.drift.last_decision"]
        == "none"
    )


def test_missing_profiles_give_no_data(registered):
    result = drift_monitor(params(act="off"))
    assert result.decision.action == "no-data"
    assert f"no usable production profiles for {NAME} v2" in result.decision.reasons[0]
    assert result.event_id is not None  # the alert: slipway.drift.no_data
    assert result.report["json"]


def test_no_champion_gives_no_data(bundle):
    register_versions(NAME, bundle, count=1)
    result = drift_monitor(params(act="off"))
    assert result.decision.action == "no-data"
    assert "has no `champion` version" in result.decision.reasons[0]


def test_important_shift_opens_retrain_once_then_the_cooldown_stops_a_repeat(
    registered, bundle, production, tmp_path
):
    from prefect.client.orchestration import get_client

    from flows.retrain import retrain

    _, v2 = registered
    shifted = production.copy()
    shifted["pixel_21"] = np.clip(shifted["pixel_21"] + 6, 0, 16)
    write_window(bundle, v2, shifted)
    production.to_parquet(tmp_path / "labelled.parquet", index=False)
    labelled = str(tmp_path / "labelled.parquet")
    retrain.to_deployment(name="retrain").apply()
    # when the monitor runs on a window with one important feature shifted, with labels
    first = drift_monitor(params(labelled=labelled))
    # then it asks for a retrain naming that feature and runs the retrain deployment, linked
    assert first.decision.action == "retrain"
    assert first.decision.drifted[0] == "pixel_21"
    assert "important features drifted: pixel_21 (ks" in first.decision.reasons[0]
    assert first.action.via == "deployment" and first.action.state == "SCHEDULED"
    assert first.event_id is not None  # slipway.drift.detected
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(first.action.flow_run_id)
    assert run.parent_task_run_id is not None
    assert f"slipway.model:{NAME}" in run.tags
    assert run.parameters["params"]["model_name"] == NAME
    assert run.parameters["params"]["labelled"] == labelled
    assert run.parameters["params"]["labelled_share"] == 0.5
    # and a second run while that retrain is pending opens nothing
    second = drift_monitor(params(labelled=labelled))
    assert second.decision.action == "alert-only"
    assert second.decision.suppressed == "retrain"
    assert second.action is None


def test_drift_after_a_promotion_without_labels_rolls_back_saying_it_could_not_compare(
    registered, bundle, production
):
    from slipway.registry import open_registry

    v1, v2 = registered
    shifted = production.copy()
    shifted["pixel_21"] = np.clip(shifted["pixel_21"] + 6, 0, 16)
    write_window(bundle, v2, shifted)
    open_registry().record_drift_verdict(NAME, v1, "none", NOW)  # `previous` was fine
    result = drift_monitor(params(act="off"))
    # drift right after the promotion, no labels: the rule rolls back, saying it could not compare
    assert result.decision.action == "rollback"
    assert "no labelled window: could not compare `previous`" in result.decision.reasons[1]


def test_drift_without_labels_and_without_a_recent_promotion_only_alerts(bundle, production):
    from tasks.promote import guarded_promote as promote

    (v1,) = register_versions(NAME, bundle, count=1)
    promote(NAME, v1, reason="first release")
    shifted = production.copy()
    shifted["pixel_21"] = np.clip(shifted["pixel_21"] + 6, 0, 16)
    write_window(bundle, v1, shifted)
    result = drift_monitor(params(act="inline"))
    assert (result.decision.action, result.decision.suppressed) == ("alert-only", "retrain")
    assert "not retrained: a retrain needs a labelled window" in result.decision.reasons[-1]
    assert result.action is None


def test_retrain_trains_on_reference_plus_labelled_window_through_the_release(tmp_path):
    from flows.retrain import retrain
    from slipway.data import read_table
    from slipway.drift.params import RetrainParams
    from slipway.drift.shifted import shifted_digits

    labelled = shifted_digits(120, kind="invert", seed=3, with_labels=True)
    labelled.to_parquet(tmp_path / "window.parquet", index=False)
    result = retrain(
        RetrainParams(
            model_name=NAME,
            labelled=str(tmp_path / "window.parquet"),
            max_iter=5,
            hidden_layers=(8,),
            targets=["onnx-fp32"],
            reason="test",
        )
    )
    # 84 labelled rows mixed in at half the training set (resampled), 36 held out
    assert result.rows == {
        "reference": 1797,
        "labelled": 120,
        "labelled_train": 84,
        "held_out": 36,
        "total": 3594,
    }
    assert len(read_table(result.dataset)) == 3594
    assert result.champion is None and result.holdout is None  # first release: nothing to compare
    trained = result.release["stages"]["train"]
    assert trained["metrics"]["accuracy"] > 0
    import mlflow

    assert mlflow.get_run(trained["run_id"]).data.params["dataset"] == result.dataset


def test_retrain_refuses_a_window_without_labels(tmp_path):
    from flows.retrain import retrain
    from slipway.drift.params import RetrainParams
    from slipway.drift.shifted import shifted_digits
    from slipway.errors import BadInput

    shifted_digits(50, seed=3).to_parquet(tmp_path / "w.parquet", index=False)
    with pytest.raises(BadInput, match="labelled window data has no label column 'digit'"):
        retrain(RetrainParams(model_name=NAME, labelled=str(tmp_path / "w.parquet"), max_iter=5))


def test_regression_after_a_bad_promotion_rolls_back_because_previous_is_better(
    bad_promotion, bundle, bad_bundle, production, tmp_path
):
    from slipway.registry import open_registry

    v1, v2 = bad_promotion  # v2 (bad) was promoted just now (slipway.promoted_at)
    write_window(bad_bundle, v2, production)
    production.to_parquet(tmp_path / "labelled.parquet", index=False)
    result = drift_monitor(params(labelled=str(tmp_path / "labelled.parquet"), act="inline"))
    # the counterfactual: v1 on the same labelled rows is better beyond the noise
    assert result.decision.action == "rollback", result.decision.reasons
    perf = result.scores.performance
    assert perf.current < 0.2 and perf.previous.version == v1 and perf.previous.better
    assert perf.previous.previous > 0.8 and perf.previous.rows == len(production)
    assert f"`previous` v{v1} accuracy" in result.decision.reasons[1]
    assert result.action.via == "inline" and result.action.state == "COMPLETED"
    # the previous version serves again
    assert open_registry().alias(NAME, "champion") == v1
    assert result.action.detail["champion"] == v1 and result.action.detail["demoted"] == v2
    assert (
        open_registry()
        .client.get_model_version(NAME, v2)
        .tags["slipway.rolled_back_reason"]
        .startswith("drift-monitor: ")
    )


def test_regression_that_previous_shares_is_retrained_not_rolled_back(
    registered, bundle, production, tmp_path
):
    """Issue 22: `previous` was trained on the same data and is just as wrong on the window."""
    from slipway.registry import open_registry

    v1, v2 = registered
    write_window(bundle, v2, production)
    labelled = production.copy()
    labelled["digit"] = (labelled["digit"] + 1) % 10  # labels the model now gets wrong
    labelled.to_parquet(tmp_path / "labelled.parquet", index=False)
    result = drift_monitor(params(labelled=str(tmp_path / "labelled.parquet"), act="off"))
    assert result.decision.action == "retrain", result.decision.reasons
    assert "regression since the promotion" in result.decision.reasons[0]
    assert "so a rollback would not repair it" in result.decision.reasons[0]
    assert result.scores.performance.previous.better is False
    assert open_registry().alias(NAME, "champion") == v2


def test_too_few_labelled_rows_only_alert(registered, bundle, production, tmp_path):
    _, v2 = registered
    write_window(bundle, v2, production)
    labelled = production.head(12).copy()
    labelled["digit"] = (labelled["digit"] + 1) % 10
    labelled.to_parquet(tmp_path / "labelled.parquet", index=False)
    result = drift_monitor(params(labelled=str(tmp_path / "labelled.parquet"), act="inline"))
    assert result.decision.action == "alert-only"
    assert "only 12 labelled rows (policy labels.min_rows 200)" in result.decision.reasons[-1]
    assert result.action is None


def test_rollback_without_previous_is_refused(bundle):
    from flows.rollback import rollback
    from slipway.drift.params import RollbackParams
    from slipway.errors import BadInput
    from tasks.promote import guarded_promote as promote

    (v1,) = register_versions(NAME, bundle, count=1)
    promote(NAME, v1, reason="first release")
    with pytest.raises(BadInput, match="previous"):
        rollback(RollbackParams(model_name=NAME, reason="test"))


def test_monitor_cli_prints_one_json_document_and_exits_1_unless_none(registered, capsys):
    from slipway.cli import main

    code = main(
        [
            "monitor",
            NAME,
            "--window",
            "6h",
            "--policy",
            str(EXAMPLE_POLICY),
            "--act",
            "off",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["decision"]["action"] == "no-data" and out["version"] == registered[1]


def test_rollback_cli(registered, capsys):
    from slipway.cli import main
    from slipway.registry import open_registry

    v1, v2 = registered
    assert main(["rollback", NAME, "--reason", "operator test", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["champion"], out["demoted"], out["reason"]) == (v1, v2, "operator test")
    assert open_registry().alias(NAME, "champion") == v1


def test_shifted_traffic_through_the_gateway_rolls_back_and_the_previous_version_serves(
    bad_promotion, bad_bundle, tmp_path
):
    """The loop with a real gateway: shifted traffic -> profiles -> monitor -> rollback (the
    previous version does better on the labelled traffic) -> v1 serves."""

    import httpx

    from slipway.core.contract import ServingContract
    from slipway.drift import scoring
    from slipway.drift.shifted import shifted_digits
    from slipway.serving.testing import gateway_process
    from slipway.store import open_store

    v1, v2 = bad_promotion
    contract = ServingContract.model_validate_json(
        (bad_bundle / "serving_contract.json").read_text()
    )
    traffic = shifted_digits(300, kind="noise", seed=5, with_labels=True, contract=contract)
    traffic.to_parquet(tmp_path / "labelled.parquet", index=False)
    args = ["--no-auth", "--profile-sample", "1", "--profile-window-s", "1", "--replica-id", "gw-a"]
    with gateway_process([NAME], extra_args=args, poll_interval_s=0.3) as url:
        predict = f"{url}/v1/models/{NAME}:predict"
        for start in range(0, len(traffic), 50):
            rows = traffic[FEATURES].iloc[start : start + 50].to_numpy().tolist()
            response = httpx.post(predict, json={"instances": rows}, timeout=10)
            assert response.status_code == 200, response.text
            assert response.headers["X-Slipway-Model-Version"] == v2
        prefix = scoring.profile_prefix(NAME, v2, "champion")
        wait_until(
            lambda: (
                scoring.load_window(open_store(), open_store().list(prefix)).rows >= len(traffic)
            ),
            30,
            "the gateway to flush its profiles",
        )
        # when the monitor runs on the gateway's profiles with the labelled window
        result = drift_monitor(
            MonitorParams(
                model_name=NAME,
                window="1h",
                policy=str(EXAMPLE_POLICY),
                labelled=str(tmp_path / "labelled.parquet"),
                act="inline",
            )
        )
        # then the regression right after the promotion rolls back: v1 does better on the rows
        assert result.decision.action == "rollback", result.decision.reasons
        assert result.scores.performance.previous.better
        assert result.decision.drifted
        assert result.scores.rows == len(traffic)
        assert result.action.state == "COMPLETED"
        # and the gateway hot-swaps to the previous version
        wait_until(
            lambda: (
                httpx.post(predict, json={"instances": rows}, timeout=10).headers[
                    "X-Slipway-Model-Version"
                ]
                == v1
            ),
            30,
            f"the gateway to serve v{v1} again",
        )


def test_retrain_refuses_unknown_conversion_targets_before_training():
    from pydantic import ValidationError

    from slipway.drift.params import RetrainParams

    with pytest.raises(
        ValidationError, match="unknown target\\(s\\) onnx-fp64; choose from onnx-fp32"
    ):
        RetrainParams(targets=["onnx-fp32", "onnx-fp64"])


def test_retrain_learns_the_shift_and_is_compared_on_held_out_labelled_rows(bundle, tmp_path):
    """Issue 22: the retrain trains on reference + the labelled window, and the new version is
    compared with the champion on a held-out part of that window (both accuracies reported)."""
    import json

    from flows.retrain import retrain
    from slipway.drift.params import RetrainParams
    from slipway.drift.shifted import shifted_digits
    from slipway.registry import open_registry
    from tasks.promote import guarded_promote as promote

    (v1,) = register_versions(NAME, bundle, count=1)
    promote(NAME, v1, reason="first release")
    labelled = shifted_digits(300, kind="invert", seed=3, with_labels=True)
    labelled.to_parquet(tmp_path / "window.parquet", index=False)
    result = retrain(
        RetrainParams(
            model_name=NAME,
            labelled=str(tmp_path / "window.parquet"),
            max_iter=150,
            hidden_layers=(64,),
            targets=["onnx-fp32"],
            reason="test",
        )
    )
    assert result.rows["held_out"] == 90 and result.rows["labelled_train"] == 210
    assert result.champion == v1 and result.version != v1
    held = result.holdout
    assert held["rows"] == 90 and held["test"] == "mcnemar-exact"
    # the champion never saw inverted digits; the retrained version learnt them
    assert held["champion"] < 0.5 < held["candidate"], held
    assert held["p_better"] < 0.05 and held["passed"] is True
    assert result.accepted is True
    assert "accepted, waits as `candidate`" in result.summary
    registry = open_registry()
    tags = registry.client.get_model_version(NAME, result.version).tags
    assert json.loads(tags["slipway.retrain.holdout_comparison"])["champion_version"] == v1
    assert registry.alias(NAME, "candidate") == result.version
    assert registry.alias(NAME, "champion") == v1


def test_a_retrained_version_worse_than_the_champion_is_refused_before_registration(
    bundle, tmp_path
):
    from flows.retrain import retrain
    from slipway.drift.params import RetrainParams
    from slipway.drift.shifted import shifted_digits
    from slipway.errors import GateFailed
    from slipway.registry import open_registry
    from tasks.promote import guarded_promote as promote

    (v1,) = register_versions(NAME, bundle, count=1)
    promote(NAME, v1, reason="first release")
    registry = open_registry()
    before = {v.version for v in registry.client.search_model_versions(f"name='{NAME}'")}
    labelled = shifted_digits(300, kind="none", seed=4, with_labels=True)
    labelled.to_parquet(tmp_path / "window.parquet", index=False)
    # a model that cannot learn in one iteration of a 2-unit layer: the release inside the
    # retrain compares it with the champion on the same eval rows and refuses it there, before
    # it is registered (the held-out comparison then never runs)
    with pytest.raises(GateFailed, match="champion_comparison failed"):
        retrain(
            RetrainParams(
                model_name=NAME,
                labelled=str(tmp_path / "window.parquet"),
                max_iter=1,
                hidden_layers=(2,),
                targets=["onnx-fp32"],
            )
        )
    after = {v.version for v in registry.client.search_model_versions(f"name='{NAME}'")}
    assert after == before
    assert registry.alias(NAME, "candidate") is None
