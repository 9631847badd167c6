"""The release's decision after register-version: promote, canary or wait (pure)."""

from __future__ import annotations

import pytest

from slipway.core.release import next_step, outcome_of


@pytest.mark.parametrize(
    ("champion", "promote_first", "canary", "expected"),
    [
        (None, True, False, "promote"),
        (None, True, True, "promote"),  # no champion to compare a canary with
        (None, False, False, "wait"),
        (None, False, True, "wait"),
        ("1", True, True, "canary"),
        ("1", True, False, "wait"),  # the canary-release deployment takes it from the event
        ("1", False, True, "canary"),
        ("2", True, True, "already-champion"),  # a rerun registered nothing new
        ("2", False, False, "already-champion"),
    ],
)
def test_next_step(champion, promote_first, canary, expected):
    assert next_step("2", champion, promote_first=promote_first, canary=canary) == expected


@pytest.mark.parametrize(
    ("step", "promoted", "outcome"),
    [
        ("promote", None, "promoted"),
        ("canary", True, "canary-promoted"),
        ("canary", False, "canary-rolled-back"),
        ("already-champion", None, "already-champion"),
        ("wait", None, "registered"),
    ],
)
def test_outcome_labels(step, promoted, outcome):
    assert outcome_of(step, promoted) == outcome
