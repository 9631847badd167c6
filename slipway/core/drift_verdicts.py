"""Column verdicts of one comparison (a window against its reference), with the error rate
controlled over all of them. Pure: the adapter (`slipway.monitoring`) measures, this judges.

Order of the rules, per comparison:
1. every test that can reject (a column's distribution test, its null-share test, the
   `prediction` column's) goes into one family; its p-values are adjusted together under the
   policy's `correction` (Benjamini-Hochberg by default);
2. a distribution drifts when its adjusted p-value is below `alpha` and its statistic reaches
   the column's threshold (the effect size, applied after the correction); a null share
   drifts when its adjusted p-value is below `alpha` and it moved by at least `null_threshold`;
3. a column that cannot be scored (all null, its type changed, ...) is reported with the
   reason, never counted as "no drift".

Under "nothing drifted", Benjamini-Hochberg and Holm both keep the chance that any column of
the comparison is flagged at or below `alpha` (BH controls the expected share of false columns
among the flagged ones, which equals that chance when none drifted); see README "Drift policy".
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator

from slipway.core.drift_policy import DriftPolicy, ResolvedRule, Test
from slipway.core.drift_stats import adjust_pvalues, proportions_testable, two_proportions


class NullShift(BaseModel):
    """A column's share of nulls in the reference and the window, and whether that moved."""

    model_config = ConfigDict(frozen=True)

    reference: float
    current: float
    pvalue: float | None = None
    """Two-proportion test; None when it cannot reject (no nulls on either side)."""
    adjusted_pvalue: float | None = None
    threshold: float = 0.05
    drifted: bool = False

    @property
    def change(self) -> float:
        return self.current - self.reference

    def describe(self) -> str:
        p = "" if self.adjusted_pvalue is None else f", adjusted p={self.adjusted_pvalue:.2g}"
        return (
            f"nulls {self.reference:.1%} -> {self.current:.1%} "
            f"(|change| {abs(self.change):.3f} >= {self.threshold:g}{p})"
        )


class FeatureScore(BaseModel):
    """One column's drift: the test, its statistic (0..1), p-value, threshold and verdict."""

    model_config = ConfigDict(frozen=True)

    name: str
    test: Test
    statistic: float | None
    """None when the test could not run on the column (reported, never counted as no drift)."""
    pvalue: float | None = None
    threshold: float
    weight: float = 1.0
    drifted: bool
    """The distribution drifted, or the share of nulls did (`nulls.drifted`)."""
    adjusted_pvalue: float | None = None
    """`pvalue` after the correction over every test of the comparison (policy `correction`)."""
    nulls: NullShift | None = None
    unseen: int = 0
    """Categories in the window never seen in the reference (they are part of the test)."""
    unseen_rows: float = 0.0
    unscorable: str | None = None
    """Why the column could not be scored (all null, its type changed, ...)."""

    distribution_drifted: bool = False
    """The statistic test alone said drift (set from `drifted` when not given and no `nulls`)."""

    @model_validator(mode="before")
    @classmethod
    def _distribution_default(cls, data):
        if (
            isinstance(data, dict)
            and "distribution_drifted" not in data
            and data.get("nulls") is None
        ):
            data = {**data, "distribution_drifted": bool(data.get("drifted"))}
        return data

    def describe(self) -> str:
        if self.unscorable:
            nulls = f", {self.nulls.describe()}" if self.nulls and self.nulls.drifted else ""
            return f"{self.name} (not scored: {self.unscorable}{nulls}, weight {self.weight:g})"
        stat = "n/a" if self.statistic is None else f"{self.statistic:.3f}"
        p = "" if self.pvalue is None else f", p={self.pvalue:.2g}"
        if (
            self.adjusted_pvalue is not None
            and self.pvalue is not None
            and f"{self.adjusted_pvalue:.2g}" != f"{self.pvalue:.2g}"
        ):
            p += f", adjusted p={self.adjusted_pvalue:.2g}"
        extra = ""
        if self.nulls is not None and self.nulls.drifted:
            extra += f", {self.nulls.describe()}"
        if self.unseen:
            extra += f", {self.unseen} unseen categories in {self.unseen_rows:g} rows"
        return (
            f"{self.name} ({self.test} {stat} >= {self.threshold:g}{p}{extra}, "
            f"weight {self.weight:g})"
        )


def judge(
    name: str, rule: ResolvedRule, statistic: float | None, pvalue: float | None, alpha: float
) -> FeatureScore:
    """Drifted when the statistic reaches the threshold and (where there is one) p < alpha.

    One column on its own, no correction; `judge_columns` is the comparison-wide verdict.
    """
    drifted = (
        statistic is not None and statistic >= rule.threshold and (pvalue is None or pvalue < alpha)
    )
    return FeatureScore(
        name=name,
        test=rule.test,
        statistic=statistic,
        pvalue=pvalue,
        threshold=rule.threshold,
        weight=rule.weight,
        drifted=bool(drifted),
    )


class NullCounts(BaseModel):
    """Nulls and rows of one column on both sides (whylogs' `counts` metric holds them)."""

    model_config = ConfigDict(frozen=True)

    reference_nulls: int
    reference_rows: int
    current_nulls: int
    current_rows: int

    def shares(self) -> tuple[float, float]:
        ref = self.reference_nulls / self.reference_rows if self.reference_rows else 0.0
        cur = self.current_nulls / self.current_rows if self.current_rows else 0.0
        return ref, cur


class ColumnMeasure(BaseModel):
    """What the adapter measured on one column, before any verdict."""

    model_config = ConfigDict(frozen=True)

    name: str
    rule: ResolvedRule
    statistic: float | None = None
    pvalue: float | None = None
    testable: bool = True
    """False when the test cannot reject whatever the data (a constant column, one category):
    it is reported with p = 1 and left out of the family."""
    nulls: NullCounts | None = None
    unseen: int = 0
    unseen_rows: float = 0.0
    unscorable: str | None = None


def judge_columns(measures: list[ColumnMeasure], policy: DriftPolicy) -> list[FeatureScore]:
    """Every column's verdict, the p-values adjusted over the whole comparison (see above)."""
    family: list[float | None] = []
    for m in measures:
        scored = m.unscorable is None and m.statistic is not None and m.testable
        family.append(m.pvalue if scored else None)
        family.append(_null_pvalue(m.nulls))
    adjusted = adjust_pvalues(family, policy.correction)
    return [
        _verdict(m, adjusted[2 * i], adjusted[2 * i + 1], policy.alpha)
        for i, m in enumerate(measures)
    ]


def family_size(scores: list[FeatureScore]) -> int:
    """How many tests the correction counted (distribution and null-share tests)."""
    return sum(
        (s.adjusted_pvalue is not None)
        + (s.nulls is not None and s.nulls.adjusted_pvalue is not None)
        for s in scores
    )


def _null_pvalue(nulls: NullCounts | None) -> float | None:
    if nulls is None:
        return None
    counts = (nulls.reference_nulls, nulls.reference_rows, nulls.current_nulls, nulls.current_rows)
    return two_proportions(*counts) if proportions_testable(*counts) else None


def _verdict(
    m: ColumnMeasure, adjusted: float | None, null_adjusted: float | None, alpha: float
) -> FeatureScore:
    rule = m.rule
    nulls = None
    if m.nulls is not None:
        ref, cur = m.nulls.shares()
        null_drift = (
            null_adjusted is not None
            and null_adjusted < alpha
            and abs(cur - ref) >= rule.null_threshold
        )
        nulls = NullShift(
            reference=ref,
            current=cur,
            pvalue=_null_pvalue(m.nulls),
            adjusted_pvalue=null_adjusted,
            threshold=rule.null_threshold,
            drifted=null_drift,
        )
    if m.unscorable is not None or m.statistic is None:
        distribution = False
        statistic = pvalue = None
    else:
        statistic = m.statistic
        pvalue = m.pvalue if m.testable else 1.0
        significant = adjusted < alpha if adjusted is not None else m.pvalue is None
        distribution = m.testable and statistic >= rule.threshold and significant
    return FeatureScore(
        name=m.name,
        test=rule.test,
        statistic=statistic,
        pvalue=pvalue,
        threshold=rule.threshold,
        weight=rule.weight,
        drifted=bool(distribution or (nulls is not None and nulls.drifted)),
        distribution_drifted=bool(distribution),
        adjusted_pvalue=adjusted,
        nulls=nulls,
        unseen=m.unseen,
        unseen_rows=m.unseen_rows,
        unscorable=m.unscorable or (None if m.statistic is not None else "the test could not run"),
    )
