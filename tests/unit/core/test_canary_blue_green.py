"""Blue-green as a canary plan: a warm (or shadow) window at 0 %, then one bake window at 100 %
judged against the champion's baseline from the first window."""

from __future__ import annotations

import pytest

from slipway.core.canary import CanaryPolicy, StepWindow, VariantWindow, analyze_step
from slipway.core.canary_state import (
    CanaryProgress,
    plan_blue_green,
    plan_for,
    record_window,
)
from tests.unit.core.test_canary import variant

CHAMPION_ONLY = StepWindow(champion=variant(), candidate=VariantWindow())
QUIET = StepWindow(champion=variant(n=3), candidate=VariantWindow())
GREEN_GOOD = StepWindow(champion=VariantWindow(), candidate=variant())
GREEN_ERRORS = StepWindow(champion=VariantWindow(), candidate=variant(errors=30))


def start(shadow_s=None, **policy) -> CanaryProgress:
    return CanaryProgress(
        version="2",
        champion_version="1",
        plan=plan_blue_green(1.0, shadow_s),
        strategy="blue-green",
        policy=CanaryPolicy(**policy),
    )


def feed(progress: CanaryProgress, *windows: StepWindow) -> CanaryProgress:
    for window in windows:
        analysis = analyze_step(window, progress.policy, progress.baseline, progress.step.phase)
        progress = record_window(progress, window, analysis)
        if progress.status != "running":
            break
    return progress


def test_the_plan_is_one_window_at_zero_then_all_traffic():
    assert [(s.phase, s.weight, s.seconds) for s in plan_blue_green(30.0)] == [
        ("warm", 0, 30.0),
        ("canary", 100, 30.0),
    ]
    assert [s.label for s in plan_blue_green(30.0, shadow_s=10.0)] == ["shadow", "100%"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"bake_s": 0}, "bake_s"), ({"bake_s": 5, "shadow_s": -1}, "shadow_s")],
)
def test_the_plan_refuses_bad_windows(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plan_blue_green(**kwargs)


def test_plan_for_chooses_by_strategy():
    assert [s.label for s in plan_for("canary", [50, 100], 2.0)] == ["50%", "100%"]
    assert [s.label for s in plan_for("blue-green", [50, 100], 2.0, bake_s=9.0)] == [
        "warm",
        "100%",
    ]
    assert plan_for("blue-green", [5], 2.0)[1].seconds == 2.0  # no bake_s: the interval
    with pytest.raises(ValueError, match="strategy 'linear'"):
        plan_for("linear", [5], 2.0)


def test_a_good_green_switches_and_is_promoted_against_the_baseline():
    progress = feed(start(), CHAMPION_ONLY, GREEN_GOOD)
    assert progress.status == "promoting"
    warm, bake = progress.history
    assert (warm.outcome, warm.analysis.checks[0].metric) == ("pass", "baseline")
    assert bake.analysis.baseline_used and progress.baseline.requests == 100


def test_a_failing_green_is_switched_back_at_the_bake():
    progress = feed(start(), CHAMPION_ONLY, GREEN_ERRORS)
    assert progress.status == "rolling_back" and progress.failed_metrics == ["error_rate"]
    assert progress.reason.startswith("analysis failed at step 2/2 (100%)")


def test_too_little_champion_traffic_for_a_baseline_is_inconclusive():
    progress = feed(start(inconclusive_limit=0), QUIET)
    assert progress.status == "rolling_back" and progress.history[0].outcome == "inconclusive"
    assert "champion requests for the baseline" in progress.reason


def test_without_a_baseline_the_bake_is_never_a_pass():
    """A bake window alone (no champion numbers at all) cannot promote."""
    bake_only = CanaryProgress(
        version="2", champion_version="1", plan=plan_blue_green(1.0)[1:], strategy="blue-green"
    )
    progress = feed(bake_only, GREEN_GOOD)
    assert progress.history[0].outcome == "inconclusive" and progress.status == "running"


def test_a_shadow_phase_replaces_the_warm_window():
    progress = start(shadow_s=1.0)
    assert progress.step.phase == "shadow"
    shadowed = StepWindow(
        champion=variant(),
        candidate=variant(),
        shadow={"comparisons": 100, "agreements": 100},
    )
    assert feed(progress, shadowed).step.label == "100%"
