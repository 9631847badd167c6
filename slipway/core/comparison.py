"""A candidate against the champion on the same labelled rows: the paired test of the
champion-comparison gate (TFX's "blessing") and of the drift loop's counterfactual rollback.

Both models predict the same rows, so the comparison is paired:

- classifiers: the exact McNemar test on the discordant rows (b = rows only the champion gets
  right, c = rows only the candidate gets right). Under "equally good", c ~ Binomial(b + c, 1/2).
- regressors: a paired bootstrap of the difference in MAE or RMSE (rows resampled together).

`max_regression` is how much worse (in the metric's own units, accuracy points as a fraction)
the candidate may be. The gate refuses a candidate only when it is worse by more than that AND
the test says the difference is not sampling noise (p < alpha). `require_improvement` turns it
around: the candidate must be better and significantly so.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

MCNEMAR = "mcnemar-exact"
BOOTSTRAP = "paired-bootstrap"
HIGHER_IS_BETTER = {"accuracy": True, "mae": False, "rmse": False}


@dataclass(frozen=True)
class Comparison:
    metric: str
    candidate: float
    champion: float
    test: str
    p_value: float  # one-sided, for the direction that the verdict is about
    rows: int
    max_regression: float
    require_improvement: bool
    alpha: float
    passed: bool
    reason: str
    # McNemar: rows only the champion / only the candidate got right; bootstrap: None
    champion_only: int | None = None
    candidate_only: int | None = None

    @property
    def worse_by(self) -> float:
        """Positive when the candidate is worse than the champion (metric units)."""
        return _worse_by(self.metric, self.candidate, self.champion)

    def line(self) -> str:
        verdict = "pass" if self.passed else "fail"
        return (
            f"champion_comparison: {verdict}: {self.metric} candidate {self.candidate:.4f} vs "
            f"champion {self.champion:.4f} on {self.rows} rows ({self.test}, "
            f"p={self.p_value:.3g}): {self.reason}"
        )

    def as_dict(self) -> dict:
        return asdict(self)


def _worse_by(metric: str, candidate: float, champion: float) -> float:
    return champion - candidate if HIGHER_IS_BETTER[metric] else candidate - champion


def _check(max_regression: float, alpha: float) -> None:
    if max_regression < 0:
        raise ValueError(f"max_regression must be >= 0 (got {max_regression})")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (got {alpha})")


def _pair(y_true, pred_candidate, pred_champion, dtype=None):
    arrays = [np.asarray(a, dtype=dtype).ravel() for a in (y_true, pred_candidate, pred_champion)]
    n = arrays[0].size
    if n == 0 or any(a.size != n for a in arrays):
        sizes = ", ".join(str(a.size) for a in arrays)
        raise ValueError(f"need equal, non-empty label and prediction arrays (got {sizes})")
    return arrays


def binomial_tail(k: int, n: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2), exact."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    total = sum(math.comb(n, i) for i in range(k, n + 1))
    return float(min(1.0, total / 2**n))


def _verdict(
    metric: str,
    candidate: float,
    champion: float,
    p_worse: float,
    p_better: float,
    max_regression: float,
    require_improvement: bool,
    alpha: float,
) -> tuple[bool, float, str]:
    worse = _worse_by(metric, candidate, champion)
    if require_improvement:
        if worse < 0 and p_better < alpha:
            return True, p_better, f"better by {-worse:.4f}, significant (p < {alpha})"
        if worse < 0:
            return False, p_better, f"better by {-worse:.4f} but within noise (p >= {alpha})"
        return False, p_better, "an improvement is required and the candidate is not better"
    if worse > max_regression and p_worse < alpha:
        return (
            False,
            p_worse,
            f"worse by {worse:.4f} (> {max_regression} allowed), significant (p < {alpha})",
        )
    if worse > max_regression:
        return True, p_worse, f"worse by {worse:.4f} but within sampling noise (p >= {alpha})"
    if worse > 0:
        return True, p_worse, f"worse by {worse:.4f}, within the {max_regression} allowed"
    return True, p_worse, f"not worse (better by {-worse:.4f})"


def compare_classifiers(
    y_true,
    pred_candidate,
    pred_champion,
    *,
    max_regression: float = 0.0,
    require_improvement: bool = False,
    alpha: float = 0.05,
) -> Comparison:
    """Accuracy of both on the same rows, exact McNemar test on the discordant pairs.

    With `max_regression` > 0 the "worse" test is shifted: the candidate is refused when the
    champion-only wins exceed what a regression of `max_regression` would explain. That is done
    by testing against the allowed share: b vs c + max_regression * n rows.
    """
    _check(max_regression, alpha)
    truth, cand, champ = _pair(y_true, pred_candidate, pred_champion)
    n = truth.size
    cand_ok, champ_ok = cand == truth, champ == truth
    b = int(np.sum(champ_ok & ~cand_ok))  # only the champion right
    c = int(np.sum(cand_ok & ~champ_ok))  # only the candidate right
    acc_cand, acc_champ = float(cand_ok.mean()), float(champ_ok.mean())
    allowed = int(math.floor(max_regression * n))
    # worse: are champion-only wins more than the allowed rows plus the candidate-only wins?
    # Conditional on b + c discordant rows (minus the allowance), test b' = b - allowed.
    b_excess = max(0, b - allowed)
    p_worse = binomial_tail(b_excess, b_excess + c) if b_excess > c else 1.0
    p_better = binomial_tail(c, b + c) if c > b else 1.0
    passed, p, reason = _verdict(
        "accuracy",
        acc_cand,
        acc_champ,
        p_worse,
        p_better,
        max_regression,
        require_improvement,
        alpha,
    )
    return Comparison(
        metric="accuracy",
        candidate=acc_cand,
        champion=acc_champ,
        test=MCNEMAR,
        p_value=p,
        rows=n,
        max_regression=max_regression,
        require_improvement=require_improvement,
        alpha=alpha,
        passed=passed,
        reason=reason,
        champion_only=b,
        candidate_only=c,
    )


def _regression_metric(metric: str, errors: np.ndarray) -> float:
    if metric == "mae":
        return float(np.mean(np.abs(errors)))
    return float(np.sqrt(np.mean(errors**2)))


def compare_regressors(
    y_true,
    pred_candidate,
    pred_champion,
    *,
    metric: str = "mae",
    max_regression: float = 0.0,
    require_improvement: bool = False,
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
) -> Comparison:
    """MAE or RMSE of both on the same rows; paired bootstrap of (candidate - champion).

    p_worse is the bootstrap share of resamples where the candidate is NOT worse by more than
    max_regression (so a small p means: reliably worse beyond the allowance).
    """
    if metric not in ("mae", "rmse"):
        raise ValueError(f"unknown regression metric {metric!r} (known: mae, rmse)")
    _check(max_regression, alpha)
    truth, cand, champ = _pair(y_true, pred_candidate, pred_champion, dtype=np.float64)
    n = truth.size
    err_cand, err_champ = cand - truth, champ - truth
    m_cand, m_champ = _regression_metric(metric, err_cand), _regression_metric(metric, err_champ)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    if metric == "mae":
        diffs = np.abs(err_cand)[idx].mean(axis=1) - np.abs(err_champ)[idx].mean(axis=1)
    else:
        diffs = np.sqrt((err_cand**2)[idx].mean(axis=1)) - np.sqrt((err_champ**2)[idx].mean(axis=1))
    # (+1)/(n+1): a bootstrap p-value is never exactly 0
    p_worse = float((np.sum(diffs <= max_regression) + 1) / (n_boot + 1))
    p_better = float((np.sum(diffs >= 0) + 1) / (n_boot + 1))
    passed, p, reason = _verdict(
        metric, m_cand, m_champ, p_worse, p_better, max_regression, require_improvement, alpha
    )
    return Comparison(
        metric=metric,
        candidate=m_cand,
        champion=m_champ,
        test=BOOTSTRAP,
        p_value=p,
        rows=n,
        max_regression=max_regression,
        require_improvement=require_improvement,
        alpha=alpha,
        passed=passed,
        reason=reason,
    )
