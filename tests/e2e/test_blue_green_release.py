"""Blue-green end to end: a real gateway subprocess under real traffic. The new version is loaded
beside the champion at 0 % (or shadowed), all traffic switches at once, the bake window is
analysed like a canary step; a failing version is switched back (routing only) and rejected.
No request that the champion answered may fail, before, during or after the switch."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from flows.canary_release import run_canary
from slipway import registry
from slipway.canary.traffic import BackgroundTraffic
from slipway.core.routing import Routing
from tests.e2e.test_canary_release import (
    RATE,
    answered_by,
    assert_rolled_back,
    canary,
    judged_steps,
    pick_error_feature,
    release,
)
from tests.support import canary_builders as builders
from tests.support import canary_fixtures as fixtures
from tests.support.waiting import wait_until

testing = pytest.importorskip("slipway.serving.testing", reason="needs the gateway")
pytestmark = pytest.mark.slow
canary_home, in_canary_home = fixtures.canary_home, fixtures.in_canary_home
BAKE_S = 1.5


@pytest.fixture(scope="module")
def gateway(canary_home):
    with testing.gateway_process(
        [canary_home.name],
        env={"SLIPWAY_HOME": str(canary_home.home)},
        extra_args=("--no-auth", "--batch-worker", "thread"),
        poll_interval_s=0.3,
    ) as url:
        yield url


@pytest.fixture(scope="module")
def eval_rows(trained):
    from slipway.canary.traffic_data import load_rows

    return load_rows(trained.data_uris["eval"], trained.feature_names)


def blue_green(home, gateway_url, version, **kw):
    return canary(home, gateway_url, version, strategy="blue-green", bake_s=BAKE_S, **kw)


def all_answered_by(gateway_url: str, name: str, rows, version: str) -> None:
    """After the release: every request succeeds and comes from `version`."""
    with httpx.Client(timeout=10) as client:
        for row in rows[:20]:
            answer = client.post(
                f"{gateway_url}/v1/models/{name}:predict", json={"instances": [row]}
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["model_version"] == version


@pytest.mark.parametrize("shadow_s", [None, 1.2], ids=["warm", "shadowed"])
def test_a_good_version_is_switched_at_once_and_promoted(
    in_canary_home, gateway, eval_rows, candidate_dir, trained, shadow_s
):
    home = in_canary_home
    version = home.register(candidate_dir, trained)
    result, report, champion = release(
        blue_green(home, gateway, version, shadow_s=shadow_s), gateway, eval_rows
    )
    assert result.decision == "promote" and result.strategy == "blue-green", result.summary
    first = "shadow" if shadow_s else "warm"
    assert judged_steps(result) == [(first, "pass"), ("100%", "pass")], result.lines()
    bake = result.steps[-1].analysis
    assert bake.baseline_used and bake.champion_requests < 8  # all traffic was on the new one
    assert registry.open_registry().alias(home.name, registry.CHAMPION) == version
    assert registry.open_registry().alias(home.name, registry.PREVIOUS) == champion
    assert registry.open_registry().routing(home.name) == Routing()
    assert report.by_variant.get("canary", {}).get("ok", 0) > 0
    all_answered_by(gateway, home.name, eval_rows, version)


def test_a_failing_version_is_switched_back_and_rejected(
    in_canary_home, gateway, eval_rows, candidate_dir, trained
):
    home = in_canary_home
    model = builders.erroring(
        builders.served_model(candidate_dir), pick_error_feature(trained, eval_rows), 8.0
    )
    version = home.register(candidate_dir, trained, model)
    params = blue_green(home, gateway, version)
    result, report, champion = release(
        params.model_copy(update={"policy": params.policy.model_copy(update={"failure_limit": 0})}),
        gateway,
        eval_rows,
    )
    assert_rolled_back(home, version, champion, result, "error_rate")
    assert [r.step.label for r in result.steps] == ["warm", "100%"]
    assert result.reason.startswith("analysis failed at step 2/2 (100%)")
    # the only failed requests are the new version's while it had the traffic (the bake window,
    # then until the gateways polled the switch back); none of the champion's, none in transit
    bake = result.steps[-1].analysis
    in_window = round(
        next(c for c in bake.checks if c.metric == "error_rate").candidate
        * (bake.candidate_requests)
    )
    print(f"failed requests: {report.failed_for('canary')}, in the bake window: {in_window}")
    assert report.failed_for("canary") >= in_window > 0
    assert report.failed_for("champion") == 0 and report.failed_for("none") == 0
    all_answered_by(gateway, home.name, eval_rows, champion)


def test_killed_during_the_bake_a_rerun_finishes_the_release(
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
        "--strategy",
        "blue-green",
        "--bake-s",
        "6",  # the kill lands inside the bake; the rerun bakes again for as long
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
                or registry.open_registry().routing(home.name).weight == 100
            ),
            120,
            "the switch to the new version",
        )
        assert child.poll() is None, "the blue-green command exited before the switch"
        wait_until(
            lambda: answered_by(gateway, home.name, eval_rows[0]) == version,
            30,
            f"the gateway to answer from version {version}",
        )
        child.kill()
        child.wait()
        # consistent: the champion unchanged, all traffic on the new version, its bake recorded
        assert registry.open_registry().alias(home.name, registry.CHAMPION) == champion
        progress = registry.open_registry().canary_progress(home.name, version)
        assert (progress.status, progress.strategy, progress.step.label) == (
            "running",
            "blue-green",
            "100%",
        )
        result = run_canary(blue_green(home, gateway, version))  # resumes the recorded plan
    assert traffic.report.failed_for("champion") == 0 and traffic.report.failed_for("none") == 0
    assert result.decision == "promote", result.summary
    assert [r.step.label for r in result.steps if r.outcome == "pass"] == ["warm", "100%"]
    assert registry.open_registry().alias(home.name, registry.CHAMPION) == version
    assert registry.open_registry().routing(home.name) == Routing()
