"""Canary progress: the plan, and how each window moves the state machine."""

from __future__ import annotations

import pytest

from slipway.core.canary import CanaryPolicy, StepWindow, VariantWindow, analyze_step
from slipway.core.canary_state import (
    CanaryProgress,
    abort,
    plan_steps,
    record_source_error,
    record_window,
    resume_action,
)
from slipway.core.routing import Routing
from tests.unit.core.test_canary import variant

GOOD = StepWindow(champion=variant(), candidate=variant())
ERRORS = StepWindow(champion=variant(), candidate=variant(errors=30))
SLOW_AND_ERRORS = StepWindow(champion=variant(), candidate=variant(errors=30, latency=0.09))
EMPTY = StepWindow()


def start(steps=(5, 25, 50, 100), shadow_s=None, **policy) -> CanaryProgress:
    return CanaryProgress(
        version="2",
        champion_version="1",
        plan=plan_steps(list(steps), 1.0, shadow_s),
        policy=CanaryPolicy(**policy),
    )


def feed(progress: CanaryProgress, *windows) -> CanaryProgress:
    for window in windows:
        if window == "down":
            progress = record_source_error(progress, "connection refused")
        else:
            progress = record_window(
                progress, window, analyze_step(window, progress.policy, progress.baseline)
            )
        if progress.status != "running":
            break
    return progress


# --- plan -------------------------------------------------------------------------------


def test_plan_with_and_without_shadow():
    assert [s.label for s in plan_steps([5, 25, 100], 2.0)] == ["5%", "25%", "100%"]
    plan = plan_steps([50, 100], 2.0, shadow_s=3.0)
    assert [(s.phase, s.weight, s.seconds) for s in plan] == [
        ("shadow", 0, 3.0),
        ("canary", 50, 2.0),
        ("canary", 100, 2.0),
    ]


@pytest.mark.parametrize(
    ("steps", "interval", "shadow", "message"),
    [
        ([], 1, None, "at least one"),
        ([0, 50], 1, None, "between 1 and 100"),
        ([50, 101], 1, None, "between 1 and 100"),
        ([50, 25], 1, None, "increase strictly"),
        ([50, 50], 1, None, "increase strictly"),
        ([50], 0, None, "interval_s"),
        ([50], 1, -2, "shadow_s"),
    ],
)
def test_plan_refuses_bad_steps(steps, interval, shadow, message):
    with pytest.raises(ValueError, match=message):
        plan_steps(steps, interval, shadow)


# --- progression ------------------------------------------------------------------------


def test_every_step_passing_promotes():
    progress = feed(start(), GOOD, GOOD, GOOD, GOOD)
    assert progress.status == "promoting"
    assert [r.outcome for r in progress.history] == ["pass"] * 4
    assert "every step passed" in progress.reason


def test_a_pass_advances_one_step_at_a_time():
    progress = feed(start(), GOOD)
    assert (progress.status, progress.step_index, progress.step.weight) == ("running", 1, 25)


@pytest.mark.parametrize(
    ("failure_limit", "windows", "status", "failures"),
    [
        (0, [ERRORS], "rolling_back", 1),
        (1, [ERRORS], "running", 1),
        (1, [ERRORS, ERRORS], "rolling_back", 2),
        (1, [ERRORS, GOOD, GOOD, ERRORS], "rolling_back", 2),  # cumulative, not consecutive
        (1, [SLOW_AND_ERRORS], "rolling_back", 2),  # every failed check counts
        (2, [ERRORS, GOOD, GOOD, GOOD, GOOD], "promoting", 1),
    ],
)
def test_failed_checks_count_cumulatively(failure_limit, windows, status, failures):
    progress = feed(start(failure_limit=failure_limit), *windows)
    assert (progress.status, progress.failures) == (status, failures)


def test_a_failed_window_repeats_the_step():
    progress = feed(start(failure_limit=3), GOOD, ERRORS)
    assert progress.step_index == 1


def test_rollback_names_the_failed_metrics():
    progress = feed(start(), GOOD, SLOW_AND_ERRORS)
    assert progress.failed_metrics == ["error_rate", "latency_p99_ratio"]
    assert progress.reason.startswith("analysis failed at step 2/4 (25%)")
    assert "error_rate" in progress.reason


@pytest.mark.parametrize(
    ("limit", "windows", "status", "step_index"),
    [
        (0, [EMPTY], "rolling_back", 0),
        (1, [EMPTY], "running", 0),  # repeated, never passed
        (1, [GOOD, EMPTY, EMPTY], "rolling_back", 1),
        (2, [EMPTY, GOOD, EMPTY, GOOD, GOOD, GOOD], "promoting", 3),
    ],
)
def test_inconclusive_windows_never_pass_and_count_against_their_limit(
    limit, windows, status, step_index
):
    progress = feed(start(inconclusive_limit=limit), *windows)
    assert (progress.status, progress.step_index) == (status, step_index)


def test_no_data_at_the_last_step_never_promotes():
    progress = feed(
        start(steps=[100], inconclusive_limit=5), EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY
    )
    assert progress.status == "rolling_back"
    assert "nothing is promoted on missing data" in progress.reason


@pytest.mark.parametrize(
    ("limit", "windows", "status"),
    [
        (3, ["down", "down"], "running"),
        (3, ["down", "down", "down"], "rolling_back"),
        (3, ["down", "down", GOOD, "down", "down"], "running"),  # consecutive only
        (1, ["down"], "rolling_back"),
    ],
)
def test_consecutive_source_errors_abort(limit, windows, status):
    progress = feed(start(source_error_limit=limit), *windows)
    assert progress.status == status
    if status == "rolling_back":
        assert "metrics source failed" in progress.reason


def test_baseline_accumulates_the_champion_and_covers_the_full_weight_step():
    full = StepWindow(champion=VariantWindow(), candidate=variant())
    progress = feed(start(steps=[50, 100]), GOOD, full)
    assert progress.status == "promoting"
    assert progress.history[-1].analysis.baseline_used
    assert progress.baseline.requests == 100


def test_shadow_phase_comes_first():
    progress = start(steps=[50], shadow_s=2.0)
    assert progress.step.phase == "shadow"
    assert feed(progress, GOOD).step.phase == "canary"


def test_only_a_running_canary_takes_windows():
    done = abort(start(), "operator said no")
    with pytest.raises(ValueError, match="rolling_back"):
        record_window(done, GOOD, analyze_step(GOOD, done.policy))
    with pytest.raises(ValueError, match="rolling_back"):
        record_source_error(done, "x")


def test_progress_round_trips_through_json():
    progress = feed(start(failure_limit=2), GOOD, ERRORS, "down")
    assert CanaryProgress.model_validate_json(progress.model_dump_json()) == progress


def test_history_is_bounded():
    progress = feed(start(inconclusive_limit=500, source_error_limit=500), *(["down", EMPTY] * 100))
    assert len(progress.history) == 60


def test_window_lines_are_readable():
    progress = feed(start(), GOOD, "down")
    lines = [r.line(len(progress.plan)) for r in progress.history]
    assert lines[0].startswith("step 1/4 5%: pass")
    assert lines[1] == "step 2/4 25%: metrics source error: connection refused"


# --- resume after a crash -----------------------------------------------------------------

OFF = Routing()
ROUTED = Routing(mode="canary", weight=25, canary_version="2")
OTHER = Routing(mode="canary", weight=5, canary_version="3")
RUNNING = start()
PROMOTING = RUNNING.model_copy(update={"status": "promoting"})
PROMOTED = RUNNING.model_copy(update={"status": "promoted"})
ROLLING = RUNNING.model_copy(update={"status": "rolling_back", "reason": "error_rate"})
ROLLED = RUNNING.model_copy(update={"status": "rolled_back"})


@pytest.mark.parametrize(
    ("progress", "routing", "champion", "rejected", "action"),
    [
        (None, OFF, "1", False, "start"),
        (None, ROUTED, "1", False, "start"),  # routing set, crash before the first save
        (RUNNING, ROUTED, "1", False, "resume"),
        (RUNNING, OFF, "1", False, "resume"),
        (PROMOTING, ROUTED, "1", False, "finish_promote"),
        (PROMOTING, ROUTED, "2", False, "finish_promote"),  # promoted, routing not yet reset
        (PROMOTED, OFF, "2", False, "already_promoted"),
        (PROMOTED, ROUTED, "2", False, "finish_promote"),
        (None, OFF, "2", False, "already_promoted"),
        (PROMOTED, OFF, "3", False, "start"),  # promoted once, rolled back since: a new canary
        (ROLLING, ROUTED, "1", False, "finish_rollback"),
        (ROLLING, OFF, "1", True, "finish_rollback"),  # rejected, final save missing
        (ROLLED, OFF, "1", True, "already_rolled_back"),
        (None, ROUTED, "1", True, "finish_rollback"),
        (None, OFF, "1", True, "already_rolled_back"),
    ],
)
def test_resume_action(progress, routing, champion, rejected, action):
    assert resume_action("2", progress, routing, champion, rejected)[0] == action


def test_another_versions_canary_blocks_a_new_one():
    with pytest.raises(ValueError, match="version 3 is in a canary"):
        resume_action("2", None, OTHER, "1", False)
