"""canary-release without traffic: pre-flight, refusals, the metrics source down, resume paths,
the flow run's final state. A real gateway (no traffic) is the metrics source where windows run.
"""

from __future__ import annotations

import pytest

from flows.canary_release import canary_release, run_canary
from slipway import registry
from slipway.canary.params import CanaryParams
from slipway.core.canary import CanaryPolicy
from slipway.core.routing import Routing
from slipway.core.tags import STATUS
from slipway.errors import BadInput, ConfigError
from tests.conftest import free_port
from tests.support import canary_fixtures as fixtures
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow
canary_home, in_canary_home = fixtures.canary_home, fixtures.in_canary_home
NOWHERE = "http://127.0.0.1:{port}"  # nothing listens there


@pytest.fixture(scope="module")
def gateway(canary_home):
    """A real gateway serving the module's model, with no traffic: every window is empty."""
    from slipway.serving.testing import gateway_process

    with gateway_process(
        [canary_home.name],
        env={"SLIPWAY_HOME": str(canary_home.home)},
        extra_args=("--no-auth",),
        poll_interval_s=0.3,
    ) as url:
        yield url


def params(home, version, **kw) -> CanaryParams:
    base = {
        "name": home.name,
        "version": version,
        "steps": [50, 100],
        "interval_s": 0.3,
        "settle_s": 0.0,
        "gateway_url": NOWHERE.format(port=free_port()),
        "policy": CanaryPolicy(min_requests=5, source_error_limit=2, inconclusive_limit=0),
    }
    return CanaryParams(**{**base, **kw})


def flow_run_state(state):
    """The flow run's state as the Prefect API holds it (what the UI shows)."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id).state


def assert_clean_rollback(home, version, result, reason):
    assert result.decision == "rollback" and reason in result.reason
    assert registry.open_registry().alias(home.name, registry.CHAMPION) == home.champion
    assert registry.open_registry().alias(home.name, registry.CANDIDATE) != version
    assert registry.open_registry().routing(home.name) == Routing()
    tags = registry.open_registry().client.get_model_version(home.name, version).tags
    assert tags[STATUS] == "rejected" and reason in tags["slipway.rejected_reason"]
    assert registry.open_registry().canary_progress(home.name, version).status == "rolled_back"


@pytest.mark.parametrize("source", ["gateway_url", "prometheus_url"])
def test_an_unreachable_metrics_source_fails_the_run_not_the_version(
    in_canary_home, candidate_dir, trained, source
):
    """Issue 19 item 5: before, three `connection refused` windows rejected a good version."""
    home = in_canary_home
    version = home.register(candidate_dir, trained)
    url = NOWHERE.format(port=free_port())
    state = canary_release(params(home, version, **{source: url}), return_state=True)
    assert state.is_failed()
    with pytest.raises(ConfigError, match=f"pre-flight of digits version {version}: metrics"):
        state.result()
    assert "unreachable" in state.message and "nothing was changed" in state.message
    assert flow_run_state(state).is_failed()
    tags = registry.open_registry().client.get_model_version(home.name, version).tags
    assert tags.get(STATUS) != "rejected" and registry.open_registry().routing(home.name) == (
        Routing()
    )
    assert registry.open_registry().canary_progress(home.name, version) is None
    assert registry.open_registry().alias(home.name, registry.CHAMPION) == home.champion


def test_a_rollback_ends_the_flow_run_failed_with_the_reason(
    in_canary_home, gateway, candidate_dir, trained
):
    """Issue 19 item 5: a rolled-back canary showed Completed in the Prefect UI."""
    home = in_canary_home
    version = home.register(candidate_dir, trained)
    state = canary_release(params(home, version, gateway_url=gateway), return_state=True)
    assert state.is_failed() and flow_run_state(state).is_failed()
    assert "nothing is promoted on missing data" in flow_run_state(state).message
    result = state.result(raise_on_failure=False).result  # CanaryRolledBack carries the result
    assert_clean_rollback(home, version, result, "nothing is promoted on missing data")
    assert [r.outcome for r in result.steps] == ["inconclusive"]
    assert result.preflight[0] == "evidence: complete and passing"
    assert result.preflight[1].startswith(f"metrics source: {gateway}/metrics answers")
    assert result.preflight[2].startswith("infra check: ok")
    assert run_canary(params(home, version, gateway_url=gateway)).reason == result.reason
    assert result.report and "rolled back" in result.summary


def test_incomplete_evidence_fails_preflight_before_any_routing(
    in_canary_home, candidate_dir, trained
):
    home = in_canary_home
    version = home.register_unvalidated(candidate_dir, trained)
    result = run_canary(params(home, version))  # rejected whatever the metrics source says
    assert_clean_rollback(home, version, result, "pre-flight failed: data_validation: missing")
    assert result.steps == [] and result.failed_metrics == ["evidence"]


def test_a_rerun_of_a_finished_canary_changes_nothing(in_canary_home, candidate_dir, trained):
    home = in_canary_home
    version = home.register_unvalidated(candidate_dir, trained)
    first = run_canary(params(home, version))
    again = run_canary(params(home, version))
    assert again.decision == "rollback" and "rejected before this run" not in again.reason
    assert again.reason == first.reason
    assert registry.open_registry().routing(home.name) == Routing()


def test_unknown_version_is_a_clear_error(in_canary_home):
    with pytest.raises(BadInput, match="has no version or alias '999'"):
        canary_release(params(in_canary_home, "999"))


def test_no_champion_is_a_clear_error(candidate_dir, trained, tmp_path):
    from tests.support import canary_builders as builders

    version = builders.register(
        builders.candidate_with(candidate_dir, tmp_path / "c"), "fresh", trained
    )
    with pytest.raises(
        BadInput, match="has no champion to compare version 1 with: promote the first"
    ):
        canary_release(CanaryParams(name="fresh", version=version))


def test_another_canary_in_progress_is_refused(in_canary_home, candidate_dir, trained):
    home = in_canary_home
    version = home.register(candidate_dir, trained)
    registry.open_registry().set_routing(
        home.name, Routing(mode="canary", weight=5, canary_version="77")
    )
    try:
        with pytest.raises(BadInput, match="version 77 is in a canary"):
            canary_release(params(home, version))
    finally:
        registry.open_registry().set_routing(home.name, Routing())


@pytest.mark.parametrize("strategy", ["canary", "blue-green"])
def test_the_champion_itself_has_nothing_to_do(in_canary_home, strategy):
    """Issue 19 item 13: it said "promoted to champion after 0 windows"."""
    home = in_canary_home
    result = canary_release(params(home, home.champion, strategy=strategy))
    assert result.decision == "promote" and result.champion_after == home.champion
    assert result.nothing_to_do and result.steps == []
    assert (
        result.summary == f"digits version {home.champion} is already the champion: nothing to do"
    )
    assert registry.open_registry().routing(home.name) == Routing()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"steps": [50, 10]}, "increase strictly"),
        ({"interval_s": 0}, "greater than 0"),
        ({"gateway_url": None}, "metrics source"),
        ({"name": " "}, "blank"),
    ],
)
def test_bad_params_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        CanaryParams(**{"name": "m", "version": "2", **changes})


def _paused_run_id(timeout_s: float = 60.0):

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    flt = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
    )
    with get_client(sync_client=True) as client:
        runs = wait_until(
            lambda: client.read_flow_runs(flow_run_filter=flt),
            timeout_s,
            "the canary to pause for approval",
            interval=0.3,
        )
    return runs[0].id


@pytest.mark.parametrize(
    ("approve", "reason"),
    [
        (False, "not approved before the last step: not today"),
        (True, "nothing is promoted on missing data"),
    ],
)
def test_approval_before_the_last_step(
    in_canary_home, gateway, candidate_dir, trained, approve, reason
):
    import threading

    from prefect.flow_runs import resume_flow_run

    home = in_canary_home
    version = home.register(candidate_dir, trained)
    results = []
    run = threading.Thread(
        target=lambda: results.append(
            run_canary(
                params(home, version, steps=[100], approve_before_last=True, gateway_url=gateway)
            )
        )
    )
    run.start()
    resume_flow_run(_paused_run_id(), run_input={"approve": approve, "note": "not today"})
    run.join(timeout=120)
    assert results and reason in results[0].reason
    assert registry.open_registry().canary_progress(home.name, version).approved is approve
    assert_clean_rollback(home, version, results[0], reason)


def test_no_answer_in_time_rolls_back(in_canary_home, gateway, candidate_dir, trained):
    home = in_canary_home
    version = home.register(candidate_dir, trained)
    result = run_canary(
        params(
            home,
            version,
            steps=[100],
            approve_before_last=True,
            approval_timeout_s=1,
            gateway_url=gateway,
        )
    )
    assert_clean_rollback(home, version, result, "no approval within 1 s")
