"""canary-release end to end: a real gateway subprocess on loopback, real traffic from the eval
split in a background thread, real candidates that misbehave. In every case no request that
the champion answered may fail."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from flows.canary_release import run_canary
from slipway import registry
from slipway.canary.params import CanaryParams
from slipway.canary.traffic import BackgroundTraffic
from slipway.canary.traffic_data import load_rows
from slipway.core.canary import CanaryPolicy
from slipway.core.routing import Routing
from slipway.core.tags import STATUS
from tests.support import canary_builders as builders
from tests.support import canary_fixtures as fixtures
from tests.support.waiting import wait_until

testing = pytest.importorskip(
    "slipway.serving.testing", reason="needs the gateway (slipway serve, issue 7)"
)
pytestmark = pytest.mark.slow
canary_home, in_canary_home = fixtures.canary_home, fixtures.in_canary_home

# The test machine is shared by many jobs (load average ~10 on 2 cores): a p99 over a few dozen
# requests is mostly scheduling noise there (100-300 ms spikes seen), so the scenarios that are
# not about latency tolerate 150 ms; the latency scenario uses a strict policy and a model
# that is slower by design.
POLICY = CanaryPolicy(
    min_requests=8,
    latency_tolerance_ms=150.0,
    max_p99_latency_ratio=2.0,
    inconclusive_limit=1,
    failure_limit=1,
)
RATE = 40.0


@pytest.fixture(scope="module")
def gateway(canary_home):
    # inference in a worker thread per version (ORT releases the GIL): a slow canary must not
    # hold the event loop, or the champion's requests queue behind it and both p99s grow alike
    with testing.gateway_process(
        [canary_home.name],
        env={"SLIPWAY_HOME": str(canary_home.home)},
        extra_args=("--no-auth", "--batch-worker", "thread"),
        poll_interval_s=0.3,
    ) as url:
        yield url


@pytest.fixture(scope="module")
def eval_rows(trained):
    return load_rows(trained.data_uris["eval"], trained.feature_names)


def answered_by(gateway: str, name: str, row: list[float]) -> str:
    """The model version that answers one predict request."""
    import httpx

    answer = httpx.post(
        f"{gateway}/v1/models/{name}:predict", json={"instances": [row]}, timeout=10
    )
    return answer.json().get("model_version", "")


def canary(home, gateway_url, version, **kw) -> CanaryParams:
    base = {
        "name": home.name,
        "version": version,
        "steps": [50, 100],
        "interval_s": 1.2,
        "settle_s": 0.3,
        "gateway_url": gateway_url,
        "policy": POLICY,
    }
    return CanaryParams(**{**base, **kw})


def release(params, gateway_url, rows, rate=RATE):
    champion = registry.open_registry().alias(params.name, registry.CHAMPION)
    with BackgroundTraffic(gateway_url, params.name, rows, rate=rate) as traffic:
        result = run_canary(params)
    report = traffic.report
    print("\n".join(result.lines()), report.line(), sep="\n")
    assert report.failed_for("champion") == 0, report.errors
    assert report.failed_for("none") == 0, report.errors
    return result, report, champion


def judged_steps(result) -> list[tuple[str, str]]:
    """(label, outcome) per window, leaving out windows that failed on latency alone: on a
    loaded 2-core host one window's p99 can jump (the policy tolerates one failed check, and
    the tests never assert timings)."""
    return [
        (r.step.label, r.outcome)
        for r in result.steps
        if not (
            r.outcome == "fail"
            and r.analysis is not None
            and {c.metric for c in r.analysis.failed()} == {"latency_p99_ratio"}
        )
    ]


def assert_rolled_back(home, version, champion, result, metric):
    assert result.decision == "rollback", result.summary
    assert metric in result.failed_metrics, result.summary
    assert registry.open_registry().alias(home.name, registry.CHAMPION) == champion
    assert registry.open_registry().routing(home.name) == Routing()
    assert (
        registry.open_registry().client.get_model_version(home.name, version).tags[STATUS]
        == "rejected"
    )


def test_good_candidate_is_promoted_after_a_shadow_phase(
    in_canary_home, gateway, eval_rows, candidate_dir, trained
):
    home = in_canary_home
    version = home.register(candidate_dir, trained)
    result, report, champion = release(
        canary(home, gateway, version, shadow_s=1.2), gateway, eval_rows
    )
    assert result.decision == "promote", result.summary
    assert [r.step.label for r in result.steps if r.outcome == "pass"] == ["shadow", "50%", "100%"]
    shadow_checks = {c.metric: c.status for c in result.steps[0].analysis.checks}
    assert shadow_checks["shadow_agreement"] == "pass"
    assert registry.open_registry().alias(home.name, registry.CHAMPION) == version
    assert registry.open_registry().alias(home.name, registry.PREVIOUS) == champion
    assert registry.open_registry().routing(home.name) == Routing()
    assert report.by_variant.get("canary", {}).get("ok", 0) > 0


def pick_error_feature(trained, eval_rows) -> int:
    """A pixel bright (> 8) in 25-50 % of eval rows but in none of the input-example rows."""
    from slipway.data import read_table

    example = (
        read_table(trained.data_uris["reference"])[trained.feature_names]
        .head(5)
        .to_numpy(np.float32)
    )
    x = np.asarray(eval_rows, dtype=np.float32)
    for feature in range(x.shape[1]):
        if 0.25 < (x[:, feature] > 8).mean() < 0.5 and (example[:, feature] <= 8).all():
            return feature
    raise AssertionError("no pixel fits")


def test_candidate_that_errors_on_part_of_the_inputs_is_rolled_back(
    in_canary_home, gateway, eval_rows, candidate_dir, trained
):
    home = in_canary_home
    model = builders.erroring(
        builders.served_model(candidate_dir), pick_error_feature(trained, eval_rows), 8.0
    )
    version = home.register(candidate_dir, trained, model)
    result, report, champion = release(canary(home, gateway, version), gateway, eval_rows)
    assert_rolled_back(home, version, champion, result, "error_rate")
    assert report.failed_for("canary") > 0


def test_slower_candidate_is_rolled_back_on_latency(
    in_canary_home, gateway, eval_rows, candidate_dir, trained
):
    home = in_canary_home
    # each layer is a 768x768 @ 768x768 MatMul: about 35 ms a request on an idle core, far past
    # the 20 ms tolerance even when the machine is busy with other tests
    version = home.register(
        candidate_dir,
        trained,
        builders.slow(builders.served_model(candidate_dir), size=768, layers=8),
    )
    # the slow model also takes CPU from the champion on a shared machine: judge at the default
    # ratio (1.5) and abort on the first failed check
    policy = POLICY.model_copy(
        update={"max_p99_latency_ratio": 1.5, "latency_tolerance_ms": 20.0, "failure_limit": 0}
    )
    result, _, champion = release(
        canary(home, gateway, version, policy=policy), gateway, eval_rows, rate=25
    )
    assert_rolled_back(home, version, champion, result, "latency_p99_ratio")


def test_candidate_trained_on_shuffled_labels_is_rolled_back_on_divergence(
    in_canary_home, gateway, candidate_dir, trained
):
    """Traffic of mostly 0-2 digits (a real day is rarely balanced): the champion answers 0-2,
    the shuffled-label model answers anything."""
    from slipway.data import read_table

    home = in_canary_home
    frame = read_table(trained.data_uris["eval"])
    skewed = (
        frame[frame[trained.target_column] <= 2][trained.feature_names]
        .to_numpy(np.float32)
        .tolist()
    )
    version = home.register(candidate_dir, trained, builders.shuffled_labels_model(trained))
    result, _, champion = release(canary(home, gateway, version), gateway, skewed)
    assert_rolled_back(home, version, champion, result, "prediction_divergence")


def test_a_metrics_source_lost_mid_canary_aborts_without_promotion(
    in_canary_home, gateway, eval_rows, candidate_dir, trained
):
    """The pre-flight found the source (a second gateway replica, read as the metrics source);
    it dies once the canary routes: source errors, then an abort, never a blind promotion."""
    import threading

    home = in_canary_home
    version = home.register(candidate_dir, trained)
    with testing.gateway_process(
        [home.name],
        env={"SLIPWAY_HOME": str(home.home)},
        extra_args=("--no-auth",),
        poll_interval_s=0.3,
    ) as source:
        policy = POLICY.model_copy(update={"source_error_limit": 2})
        params = canary(home, gateway, version, interval_s=1.0, policy=policy)
        params = params.model_copy(update={"gateway_url": source})

        def kill_when_routed():
            wait_until(
                lambda: registry.open_registry().routing(home.name).canary_version == version,
                90,
                "the canary to route",
                interval=0.05,
            )
            source.process.kill()

        killer = threading.Thread(target=kill_when_routed)
        killer.start()
        result, _, champion = release(params, gateway, eval_rows)
        killer.join(timeout=30)
    assert (
        result.decision == "rollback" and "metrics source failed 2 times in a row" in result.reason
    )
    assert [r.outcome for r in result.steps] == ["source_error"] * 2
    assert registry.open_registry().alias(home.name, registry.CHAMPION) == champion
    assert registry.open_registry().routing(home.name) == Routing()


def test_a_step_without_traffic_is_inconclusive_not_a_pass(
    in_canary_home, gateway, eval_rows, candidate_dir, trained
):
    import threading

    home = in_canary_home
    version = home.register(candidate_dir, trained)
    champion = registry.open_registry().alias(home.name, registry.CHAMPION)
    results = []
    # only traffic is under test here: the load-sensitive checks (p99 on a shared 2-core machine,
    # divergence over a few dozen requests) are off so that the first window's verdict is steady
    quiet = POLICY.model_copy(update={"disabled": ("latency_p99_ratio", "prediction_divergence")})
    flow = threading.Thread(
        target=lambda: results.append(run_canary(canary(home, gateway, version, policy=quiet)))
    )
    with BackgroundTraffic(gateway, home.name, eval_rows, rate=RATE) as traffic:
        flow.start()
        # traffic stops once the first step has passed
        wait_until(
            lambda: (
                (p := registry.open_registry().canary_progress(home.name, version)) is not None
                and p.step_index >= 1
            ),
            60,
            "the first canary step to pass",
        )
    flow.join(timeout=60)
    assert traffic.report.failed_for("champion") == 0
    result = results[0]
    assert [r.outcome for r in result.steps] == ["pass", "inconclusive", "inconclusive"]
    assert result.decision == "rollback" and "nothing is promoted on missing data" in result.reason
    assert registry.open_registry().alias(home.name, registry.CHAMPION) == champion


def test_killing_the_flow_mid_canary_then_rerunning_leaves_a_consistent_registry(
    in_canary_home, gateway, eval_rows, candidate_dir, trained
):
    from prefect.settings import PREFECT_API_URL

    home = in_canary_home
    version = home.register(candidate_dir, trained)
    champion = registry.open_registry().alias(home.name, registry.CHAMPION)
    env = {
        **os.environ,
        "SLIPWAY_HOME": str(home.home),
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "PYTHONPATH": os.getcwd(),
    }
    argv = [
        "canary",
        home.name,
        version,
        "--steps",
        "50,100",
        "--interval-s",
        "1.2",
        "--settle-s",
        "0.3",
        "--gateway",
        gateway,
        "--min-requests",
        "8",
        "--failure-limit",
        "1",
        "--max-p99-ratio",
        "2",
        "--latency-tolerance-ms",
        "150",
    ]
    code = f"import sys; from slipway.cli import main; sys.exit(main({argv!r}))"
    with BackgroundTraffic(gateway, home.name, eval_rows, rate=RATE) as traffic:
        child = subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(
            lambda: (
                child.poll() is not None
                or registry.open_registry().routing(home.name).canary_version == version
            ),
            90,
            "the canary to start routing",
        )
        assert child.poll() is None, "the canary command exited before routing"
        # inside the first window: the gateway answers from the canary
        wait_until(
            lambda: answered_by(gateway, home.name, eval_rows[0]) == version,
            30,
            f"the gateway to answer from version {version}",
        )
        child.kill()
        child.wait()
        # consistent: the champion unchanged and serving, the canary at a step, nothing rejected
        assert registry.open_registry().alias(home.name, registry.CHAMPION) == champion
        routing = registry.open_registry().routing(home.name)
        assert (routing.mode, routing.canary_version) == ("canary", version) and routing.weight in (
            50,
            100,
        )
        progress = registry.open_registry().canary_progress(home.name, version)
        assert (
            progress.status == "running"
            and progress.plan[progress.step_index].weight == routing.weight
        )
        assert (
            registry.open_registry().client.get_model_version(home.name, version).tags[STATUS]
            != "rejected"
        )
        result = run_canary(canary(home, gateway, version))  # the rerun resumes
    assert traffic.report.failed_for("champion") == 0 and traffic.report.failed_for("none") == 0
    assert result.decision == "promote", result.summary
    assert [r.step.label for r in result.steps if r.outcome == "pass"] == ["50%", "100%"]
    assert registry.open_registry().alias(home.name, registry.CHAMPION) == version
    assert registry.open_registry().routing(home.name) == Routing()
