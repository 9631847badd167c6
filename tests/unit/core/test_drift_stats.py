"""The statistics of the drift verdicts (pure): corrections, two proportions, Cramer's V,
the chi-square's permutation p-value, unseen categories. Fixed seeds throughout."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2_contingency, false_discovery_control

from slipway.core.drift_stats import (
    PERMUTATIONS,
    adjust_pvalues,
    chi_square,
    cramers_v,
    proportions_testable,
    two_proportions,
    two_sample_v,
    unseen_categories,
)

# --- multiple-testing correction --------------------------------------------------------------


@pytest.mark.parametrize(
    "method, expected",
    [
        ("bh", [0.02, 0.04, 0.04, 0.02]),
        ("holm", [0.03, 0.06, 0.06, 0.02]),
        ("none", [0.01, 0.04, 0.03, 0.005]),
    ],
)
def test_adjusted_pvalues_by_hand(method, expected):
    assert adjust_pvalues([0.01, 0.04, 0.03, 0.005], method) == pytest.approx(expected)


def test_bh_matches_scipy():
    pvalues = np.random.default_rng(0).uniform(0, 0.2, 40).tolist()
    expected = false_discovery_control(pvalues, method="bh")
    assert adjust_pvalues(pvalues, "bh") == pytest.approx(expected.tolist())


def test_none_is_no_test_and_not_counted():
    # given one p-value missing: the family has two members, not three
    assert adjust_pvalues([0.02, None, 0.04], "bh") == [
        pytest.approx(0.04),
        None,
        pytest.approx(0.04),
    ]
    assert adjust_pvalues([0.02, None, 0.04], "holm") == [
        pytest.approx(0.04),
        None,
        pytest.approx(0.04),
    ]
    assert adjust_pvalues([None, None], "bh") == [None, None]


def test_adjusted_pvalues_never_exceed_one():
    assert adjust_pvalues([0.5, 0.9, 0.7], "holm") == [1.0, 1.0, 1.0]


def test_unknown_correction_is_refused():
    with pytest.raises(ValueError, match="correction 'bonferroni'"):
        adjust_pvalues([0.1], "bonferroni")


def test_no_drift_in_30_columns_alarms_alpha_of_the_time_not_79_percent():
    # given 4,000 comparisons of 30 columns with no drift (uniform p-values)
    rng = np.random.default_rng(1)
    families = rng.uniform(size=(4000, 30))

    def alarm_rate(method):
        return np.mean([min(adjust_pvalues(f.tolist(), method)) < 0.05 for f in families])

    # then without a correction one column or more drifts in ~79% of them; with BH or Holm ~5%
    assert alarm_rate("none") == pytest.approx(1 - 0.95**30, abs=0.03)
    assert alarm_rate("bh") <= 0.06
    assert alarm_rate("holm") <= 0.06


def test_bh_finds_more_of_several_real_shifts_than_holm():
    rng = np.random.default_rng(2)
    found = {"bh": 0, "holm": 0}
    for _ in range(300):
        pvalues = [*rng.uniform(0, 0.01, 6), *rng.uniform(size=24)]
        for method in found:
            found[method] += sum(q < 0.05 for q in adjust_pvalues(pvalues, method)[:6])
    assert found["bh"] > found["holm"]


# --- two proportions (null shares) ------------------------------------------------------------


def test_twenty_percent_new_nulls_is_significant_even_in_a_small_window():
    assert two_proportions(0, 500, 20, 100) < 1e-9
    assert two_proportions(0, 500, 6, 30) < 1e-4


def test_sparse_counts_use_fishers_exact_test():
    # one null in 30 rows against none in 500: Fisher gives 30/530 ~ 0.057 (a z-test 5e-5)
    assert two_proportions(0, 500, 1, 30) == pytest.approx(30 / 530, rel=1e-6)


def test_large_counts_use_the_z_test():
    table = [[120, 880], [45, 255]]
    expected = chi2_contingency(table, correction=False)[1]
    assert two_proportions(120, 1000, 45, 300) == pytest.approx(expected, rel=1e-9)
    assert two_proportions(100, 1000, 10, 100) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "counts, pvalue, testable",
    [((0, 10, 0, 20), 1.0, False), ((10, 10, 20, 20), 1.0, False), ((0, 0, 3, 20), None, False)],
)
def test_degenerate_proportions(counts, pvalue, testable):
    assert two_proportions(*counts) == pvalue
    assert proportions_testable(*counts) is testable


def test_counts_outside_the_rows_are_refused():
    with pytest.raises(ValueError, match="within 0..n"):
        two_proportions(11, 10, 0, 5)


def test_null_share_test_holds_alpha_in_small_windows():
    rng = np.random.default_rng(3)
    rejections = [
        two_proportions(int(rng.binomial(400, 0.05)), 400, int(rng.binomial(30, 0.05)), 30) < 0.05
        for _ in range(1500)
    ]
    assert np.mean(rejections) <= 0.05


# --- Cramer's V and the chi-square test -------------------------------------------------------


def _uncorrected_v(table):
    chi2 = chi2_contingency(table, correction=False)[0]
    return (chi2 / np.sum(table)) ** 0.5


def test_bias_corrected_v_of_200_categories_without_drift_is_near_zero():
    # given 50 no-drift comparisons of a 200-category column, 1,000 reference and 200 rows
    rng = np.random.default_rng(4)
    raw, corrected, two_sample = [], [], []
    for _ in range(50):
        table = [np.bincount(rng.integers(0, 200, n), minlength=200) for n in (1000, 200)]
        keep = (table[0] + table[1]) > 0
        raw.append(_uncorrected_v([table[0][keep], table[1][keep]]))
        corrected.append(cramers_v(table))
        two_sample.append(two_sample_v(table))
    # then the plain V sits at ~0.43 by chance alone, the corrected ones near 0
    assert np.mean(raw) > 0.4
    assert np.mean(corrected) < 0.06 and max(corrected) < 0.25
    assert np.mean(two_sample) < 0.08 and max(two_sample) < 0.3


@pytest.mark.parametrize(
    "table, low, high",
    [
        ([[200, 200, 0], [0, 0, 400]], 0.99, 1.0),  # disjoint categories
        ([[100, 300], [100, 300]], 0.0, 0.0),  # the same shares
        ([[500, 500], [700, 300]], 0.19, 0.21),  # phi ~0.2 on 2,000 rows
        ([[5], [7]], 0.0, 0.0),  # one category
    ],
)
def test_cramers_v_values(table, low, high):
    assert low <= cramers_v(table) <= high


def test_two_sample_v_measures_the_shift_not_the_reference_size():
    # given the same 10-point shift of one category, against references of 1,000 and 100,000
    window = [34, 26, 40]  # shares 0.34 / 0.26 / 0.40 in 100 rows
    small, large = [[440, 260, 300], window], [[44_000, 26_000, 30_000], window]
    # then plain V falls with the reference's size, the two-sample V does not
    assert cramers_v(large) < cramers_v(small) / 2
    assert two_sample_v(large) == pytest.approx(two_sample_v(small), abs=0.02)
    assert two_sample_v([[300, 100], [300, 100]]) == cramers_v([[300, 100], [300, 100]]) == 0.0
    balanced = [[120, 80, 200], [90, 110, 200]]
    assert two_sample_v(balanced) == pytest.approx(cramers_v(balanced))


def test_chi_square_is_asymptotic_when_every_expected_count_is_five_or_more():
    table = [[300, 200, 100], [60, 50, 10]]
    v, p = chi_square(table)
    assert p == pytest.approx(chi2_contingency(table, correction=False)[1], rel=1e-9)
    assert v == pytest.approx(two_sample_v(table))


def test_sparse_tables_get_a_seeded_permutation_pvalue():
    rng = np.random.default_rng(5)
    table = [
        np.bincount(rng.integers(0, 60, 800), minlength=60),
        np.bincount(rng.integers(0, 60, 30), minlength=60),
    ]
    first, again = chi_square(table, seed=1), chi_square(table, seed=1)
    assert first == again
    assert 1 / (PERMUTATIONS + 1) <= first[1] <= 1.0


def test_permutation_pvalue_holds_alpha_where_the_asymptotic_one_does_not():
    # given 200 no-drift comparisons of a sparse 40-category column (500 vs 30 rows)
    rng = np.random.default_rng(6)
    shares = 1 / np.arange(1, 41)
    shares /= shares.sum()
    asymptotic, permutation = [], []
    for seed in range(200):
        table = np.array(
            [np.bincount(rng.choice(40, n, p=shares), minlength=40) for n in (500, 30)]
        )
        seen = table.sum(axis=0) > 0
        asymptotic.append(chi2_contingency(table[:, seen], correction=False)[1] < 0.05)
        permutation.append(chi_square(table, seed=seed)[1] < 0.05)
    # then the chi-square approximation rejects ~12% of them, the permutation p-value ~5%
    assert np.mean(asymptotic) >= 0.1
    assert np.mean(permutation) <= 0.08


def test_a_new_category_is_a_finite_statistic_with_a_tiny_pvalue():
    # given a category the reference never had, holding a quarter of the window
    v, p = chi_square([[300, 300, 0], [40, 35, 25]])
    assert 0.2 < v < 1 and p < 1e-4


def test_unseen_categories_are_counted_with_their_rows():
    reference = {"a": 10.0, "b": 5.0, "gone": 3.0}
    current = {"a": 4.0, "new": 2.0, "other": 3.0, "zero": 0.0}
    assert unseen_categories(reference, current) == (2, 5.0)
    assert unseen_categories(reference, {"a": 1.0}) == (0, 0.0)
