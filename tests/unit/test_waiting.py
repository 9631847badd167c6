"""tests.support.waiting.wait_until: returns the first truthy value, names what timed out."""

from __future__ import annotations

import itertools

import pytest

from tests.support.waiting import wait_until


def test_returns_the_first_truthy_value():
    calls = itertools.count()
    assert wait_until(lambda: next(calls) >= 3 and "ready", 5, "the counter", interval=0) == "ready"


def test_times_out_naming_the_condition_and_the_last_value():
    with pytest.raises(AssertionError, match=r"waiting for the gateway to answer \(last: 0\)"):
        wait_until(lambda: 0, 0.05, "the gateway to answer", interval=0.01)
