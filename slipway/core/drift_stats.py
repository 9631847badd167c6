"""The statistics behind the drift verdicts, from counts alone (no whylogs): multiple-testing
correction, the two-proportion test for null fractions, the chi-square test of two category
samples with Bergsma's bias-corrected Cramer's V, and unseen-category counting. Pure.

Why each piece exists:
- One comparison runs a test per column (and per null fraction). At alpha = 0.05 per test,
  30 independent columns give a 79% chance that at least one drifts by chance; Benjamini-Hochberg
  (or Holm) over the comparison brings that back to alpha when nothing drifted.
- Cramer's V estimated from a sample is biased upwards by about sqrt((k - 1) / n): 200 categories
  and no drift gave V = 0.45 in a 300-row window. Bergsma (2013) removes that bias; the two rows
  are first weighted to one size, so V measures the shift, not the reference's size.
- With few rows per category the chi-square approximation is poor (expected counts below 5):
  there the p-value comes from a seeded permutation (multivariate hypergeometric) draw instead.
- A test that cannot reject whatever the data (no nulls on either side, a single category) is
  left out of the family: it adds no false alarms, and counting it would only weaken the others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

Correction = Literal["bh", "holm", "none"]
CORRECTIONS: tuple[str, ...] = ("bh", "holm", "none")
MIN_EXPECTED = 5.0
"""Cochran's rule: below this expected count in any cell, the chi-square p-value is simulated."""
PERMUTATIONS = 20_000
"""Draws of the permutation p-value (its floor is 1 / (PERMUTATIONS + 1) = 5e-5)."""
FIRST_BATCH = 2_000


def adjust_pvalues(pvalues: Sequence[float | None], method: Correction) -> list[float | None]:
    """Adjusted p-values over one family (None: no test, kept None and not counted).

    `bh`: Benjamini-Hochberg step-up, q_(i) = min_{j >= i} m p_(j) / j (controls the false
    discovery rate; under "nothing drifted" that equals the chance of any false alarm).
    `holm`: Holm step-down, q_(i) = max_{j <= i} (m - j + 1) p_(j) (family-wise error rate).
    A test is significant when its adjusted p-value is below alpha.
    """
    if method not in CORRECTIONS:
        raise ValueError(f"correction {method!r}: use one of {', '.join(CORRECTIONS)}")
    present = [(p, i) for i, p in enumerate(pvalues) if p is not None]
    out: list[float | None] = [None] * len(pvalues)
    m = len(present)
    if method == "none" or m == 0:
        return [None if p is None else min(1.0, max(0.0, p)) for p in pvalues]
    ordered = sorted(present)
    if method == "bh":
        running = 1.0
        for rank in range(m, 0, -1):
            p, index = ordered[rank - 1]
            running = min(running, p * m / rank)
            out[index] = min(1.0, running)
    else:
        running = 0.0
        for rank, (p, index) in enumerate(ordered, start=1):
            running = max(running, p * (m - rank + 1))
            out[index] = min(1.0, running)
    return out


def two_proportions(k1: int, n1: int, k2: int, n2: int) -> float | None:
    """Two-sided p-value that k1/n1 and k2/n2 share one proportion (None: a sample is empty).

    The pooled two-proportion z-test; Fisher's exact test when an expected count is below 5
    (the z-test's p-value is far too small there: 1 null in 30 rows against 0 in 500 would get
    p = 5e-5 instead of 0.06). 1.0 when the pooled sample has no nulls or nothing but nulls.
    """
    if n1 <= 0 or n2 <= 0:
        return None
    if not (0 <= k1 <= n1 and 0 <= k2 <= n2):
        raise ValueError(f"counts {k1}/{n1} and {k2}/{n2}: a count must be within 0..n")
    k, n = k1 + k2, n1 + n2
    if k == 0 or k == n:
        return 1.0
    if min(n1, n2) * min(k, n - k) / n < MIN_EXPECTED:
        from scipy.stats import fisher_exact

        return float(fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)
    share = k / n
    z = (k2 / n2 - k1 / n1) / math.sqrt(share * (1 - share) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


def proportions_testable(k1: int, n1: int, k2: int, n2: int) -> bool:
    """False when no outcome could be significant: no nulls at all, or nothing but nulls."""
    return n1 > 0 and n2 > 0 and 0 < k1 + k2 < n1 + n2


def cramers_v(table: Sequence[Sequence[float]]) -> float:
    """Bergsma's (2013) bias-corrected Cramer's V of an r x k contingency table (0..1).

    phi2 = chi2 / n is shrunk by its expectation under independence, (k - 1)(r - 1) / (n - 1),
    and the table size is corrected the same way, so two samples of one distribution score
    about 0 however many categories they have.
    """
    rows = [list(map(float, row)) for row in table]
    chi2, _, n, r, k = _chi2(rows)
    if n <= 1 or r < 2 or k < 2:
        return 0.0
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    r_corr = r - (r - 1) ** 2 / (n - 1)
    k_corr = k - (k - 1) ** 2 / (n - 1)
    denominator = min(r_corr - 1, k_corr - 1)
    if denominator <= 0:
        return 0.0
    return min(1.0, math.sqrt(phi2 / denominator))


def two_sample_v(table: Sequence[Sequence[float]]) -> float:
    """Cramer's V of two samples' category counts as if both samples had the same size.

    Plain V of a 2 x k table shrinks with the imbalance of the rows: against a reference 25
    times the window, a shift that moves 10% of the rows scores 0.04 instead of 0.14. Here
    each row is rescaled to half of the effective size 4 n1 n2 / (n1 + n2) (the total of the
    balanced table with the same sampling error) before Bergsma's bias correction, so V is a
    distance between the two distributions: 0 for the same shares, 1 for disjoint categories,
    whatever the sizes. Balanced samples get exactly `cramers_v`.
    """
    reference, current = (list(map(float, row)) for row in table)
    n1, n2 = sum(reference), sum(current)
    if n1 <= 0 or n2 <= 0:
        return 0.0
    half = 2 * n1 * n2 / (n1 + n2)
    return cramers_v([[c * half / n1 for c in reference], [c * half / n2 for c in current]])


def chi_square(table: Sequence[Sequence[float]], seed: int = 0) -> tuple[float, float]:
    """(V, p-value) of a 2 x k table of two samples' category counts (`two_sample_v`).

    The chi-square test of homogeneity: asymptotic when every expected count is at least 5,
    otherwise a permutation p-value (`PERMUTATIONS` seeded draws of the second row from the
    multivariate hypergeometric distribution given the margins: exact in expectation at any
    size). Categories with no count on either side are dropped; one category left: (0, 1).
    """
    rows = [list(map(float, row)) for row in table]
    if len(rows) != 2:
        raise ValueError(f"chi_square takes two rows (reference, current), got {len(rows)}")
    chi2, expected_min, n, r, k = _chi2(rows)
    if k < 2 or r < 2:
        return 0.0, 1.0
    if expected_min >= MIN_EXPECTED:
        from scipy.stats import chi2 as chi2_dist

        return two_sample_v(rows), float(chi2_dist.sf(chi2, (k - 1) * (r - 1)))
    return two_sample_v(rows), _permutation_pvalue(rows, chi2, seed)


def _chi2(rows: list[list[float]]) -> tuple[float, float, float, int, int]:
    """(chi2, smallest expected count, n, rows, categories) with empty rows/columns dropped."""
    columns = [j for j in range(len(rows[0]) if rows else 0) if sum(row[j] for row in rows) > 0]
    rows = [[row[j] for j in columns] for row in rows if sum(row[j] for j in columns) > 0]
    if not rows or not columns:
        return 0.0, 0.0, 0.0, len(rows), len(columns)
    row_totals = [sum(row) for row in rows]
    col_totals = [sum(row[j] for row in rows) for j in range(len(columns))]
    n = sum(row_totals)
    chi2, expected_min = 0.0, math.inf
    for i, row in enumerate(rows):
        for j, observed in enumerate(row):
            expected = row_totals[i] * col_totals[j] / n
            expected_min = min(expected_min, expected)
            chi2 += (observed - expected) ** 2 / expected
    return chi2, expected_min, n, len(rows), len(columns)


def _permutation_pvalue(rows: list[list[float]], observed: float, seed: int) -> float:
    """Share of permuted tables with a chi-square at least `observed`, drawn in batches.

    The first batch of `FIRST_BATCH` draws is enough when the estimate is at least 0.1 (its
    standard error there is under 0.007): the rest are drawn only near significance.
    """
    import numpy as np

    reference = np.rint(np.asarray(rows[0])).astype(np.int64)
    current = np.rint(np.asarray(rows[1])).astype(np.int64)
    keep = (reference + current) > 0
    totals = reference[keep] + current[keep]
    n_cur, n = int(current[keep].sum()), int(totals.sum())
    expected_cur = totals * (n_cur / n)
    expected_ref = totals * ((n - n_cur) / n)
    rng = np.random.default_rng(seed)
    exceed, drawn = 0, 0
    for size in (FIRST_BATCH, PERMUTATIONS - FIRST_BATCH):
        draws = rng.multivariate_hypergeometric(totals, n_cur, size=size, method="marginals")
        stats = ((draws - expected_cur) ** 2 / expected_cur).sum(axis=1)
        stats += (((totals - draws) - expected_ref) ** 2 / expected_ref).sum(axis=1)
        exceed += int(np.count_nonzero(stats >= observed * (1 - 1e-9)))
        drawn += size
        if (exceed + 1) / (drawn + 1) >= 0.1:
            break
    return (exceed + 1) / (drawn + 1)


def unseen_categories(
    reference: Mapping[str, float], current: Mapping[str, float]
) -> tuple[int, float]:
    """(categories of `current` absent from `reference`, the current rows that hold them)."""
    names = [c for c, count in current.items() if count > 0 and reference.get(c, 0) <= 0]
    return len(names), float(sum(current[c] for c in names))
