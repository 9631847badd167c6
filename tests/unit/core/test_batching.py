"""Micro-batch policy and agreement counting."""

import pytest

from slipway.core.agreement import agreement_rate, count_agreement
from slipway.core.batching import BatchPolicy, split_offsets


@pytest.mark.parametrize(
    "max_rows, so_far, nxt, fits",
    [(8, 0, 100, True), (8, 4, 4, True), (8, 4, 5, False), (1, 1, 1, False), (64, 63, 1, True)],
)
def test_fits(max_rows, so_far, nxt, fits):
    assert BatchPolicy(max_batch_rows=max_rows).fits(so_far, nxt) is fits


@pytest.mark.parametrize(
    "max_wait, rows, waited, left",
    [
        (0.0, 1, 0.0, 0.0),
        (0.002, 1, 0.0, 0.002),
        (0.002, 1, 0.0015, 0.0005),
        (0.002, 1, 0.01, 0.0),
        (0.002, 8, 0.0, 0.0),
    ],
)
def test_wait_left(max_wait, rows, waited, left):
    assert BatchPolicy(max_batch_rows=8, max_wait_s=max_wait).wait_left(
        rows, waited
    ) == pytest.approx(left)


@pytest.mark.parametrize("kwargs", [{"max_batch_rows": 0}, {"max_wait_s": -1}])
def test_bad_policy(kwargs):
    with pytest.raises(ValueError):
        BatchPolicy(**kwargs)


@pytest.mark.parametrize(
    "sizes, spans",
    [([1], [(0, 1)]), ([2, 3], [(0, 2), (2, 5)]), ([1, 1, 1], [(0, 1), (1, 2), (2, 3)]), ([], [])],
)
def test_split_offsets(sizes, spans):
    assert split_offsets(sizes) == spans


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ([1, 2, 3], [1, 2, 3], (3, 0)),
        ([1, 2, 3], [3, 2, 1], (1, 2)),
        ([], [], (0, 0)),
        ([0], [1], (0, 1)),
    ],
)
def test_count_agreement(a, b, expected):
    assert count_agreement(a, b) == expected


def test_count_agreement_refuses_unequal_lengths():
    with pytest.raises(ValueError, match="cannot compare"):
        count_agreement([1, 2], [1])


@pytest.mark.parametrize("agree, disagree, rate", [(0, 0, None), (3, 1, 0.75), (5, 0, 1.0)])
def test_agreement_rate(agree, disagree, rate):
    assert agreement_rate(agree, disagree) == rate
