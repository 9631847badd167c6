"""Parity between the source model and a converted one: pure NumPy metrics and the gate.

Per output: max absolute and max relative error; for classifiers the top-1 agreement of the
labels; for embeddings the minimum cosine similarity per row (mean-pooled with the attention
mask when the model has one). The gate passes when every metric is within its tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slipway.core.manifest import Parity

REL_EPS = 1e-6


@dataclass(frozen=True)
class Tolerances:
    max_abs_error: float = 1e-3
    """Largest allowed |source - candidate| on float outputs."""
    min_top1_agreement: float = 0.99
    min_cosine: float = 0.99

    def as_dict(self) -> dict[str, float]:
        return {
            "max_abs_error": self.max_abs_error,
            "min_top1_agreement": self.min_top1_agreement,
            "min_cosine": self.min_cosine,
        }


def max_abs_error(expected: np.ndarray, actual: np.ndarray) -> float:
    expected, actual = _same_shape(expected, actual)
    if expected.size == 0:
        return 0.0
    return float(np.max(np.abs(expected.astype(np.float64) - actual.astype(np.float64))))


def max_rel_error(expected: np.ndarray, actual: np.ndarray) -> float:
    expected, actual = _same_shape(expected, actual)
    if expected.size == 0:
        return 0.0
    e = expected.astype(np.float64)
    diff = np.abs(e - actual.astype(np.float64))
    return float(np.max(diff / np.maximum(np.abs(e), REL_EPS)))


def top1_agreement(expected_labels: np.ndarray, actual_labels: np.ndarray) -> float:
    expected_labels, actual_labels = _same_shape(expected_labels, actual_labels)
    if expected_labels.size == 0:
        raise ValueError("no rows to compare")
    return float(np.mean(expected_labels == actual_labels))


def mean_pool(hidden: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """[N, T, H] token states -> [N, H], averaging only tokens where mask is 1."""
    if hidden.ndim == 2:
        return hidden.astype(np.float64)
    if mask is None:
        return hidden.astype(np.float64).mean(axis=1)
    weights = mask.astype(np.float64)[..., None]
    return (hidden.astype(np.float64) * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = _same_shape(a, b)
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    denom = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.sum(a * b, axis=1) / np.maximum(denom, 1e-12)


def cosine_min(expected: np.ndarray, actual: np.ndarray, mask: np.ndarray | None = None) -> float:
    return float(np.min(cosine_rows(mean_pool(expected, mask), mean_pool(actual, mask))))


def compare_classifier(
    expected: dict[str, np.ndarray], actual: dict[str, np.ndarray], tol: Tolerances
) -> Parity:
    """Source vs candidate outputs of a classifier ({'label', 'probabilities'})."""
    abs_err = {"probabilities": max_abs_error(expected["probabilities"], actual["probabilities"])}
    rel_err = {"probabilities": max_rel_error(expected["probabilities"], actual["probabilities"])}
    agreement = top1_agreement(expected["label"], actual["label"])
    passed = abs_err["probabilities"] <= tol.max_abs_error and agreement >= tol.min_top1_agreement
    return Parity(
        max_abs_error=abs_err,
        max_rel_error=rel_err,
        top1_agreement=agreement,
        passed=passed,
        tolerances=tol.as_dict(),
    )


def compare_regressor(expected: np.ndarray, actual: np.ndarray, tol: Tolerances) -> Parity:
    abs_err = max_abs_error(expected, actual)
    return Parity(
        max_abs_error={"variable": abs_err},
        max_rel_error={"variable": max_rel_error(expected, actual)},
        passed=abs_err <= tol.max_abs_error,
        tolerances=tol.as_dict(),
    )


def compare_embeddings(
    expected: np.ndarray, actual: np.ndarray, tol: Tolerances, mask: np.ndarray | None = None
) -> Parity:
    """Token states or sentence embeddings: cosine per row (masked mean pool) is the gate."""
    cos = cosine_min(expected, actual, mask)
    return Parity(
        max_abs_error={"embedding": max_abs_error(expected, actual)},
        max_rel_error={"embedding": max_rel_error(expected, actual)},
        cosine_min=cos,
        passed=cos >= tol.min_cosine,
        tolerances=tol.as_dict(),
    )


def describe_failure(parity: Parity) -> str:
    """One line: which parity metric missed its tolerance."""
    tol = parity.tolerances
    reasons = []
    for output, err in parity.max_abs_error.items():
        limit = tol.get("max_abs_error")
        if limit is not None and parity.cosine_min is None and err > limit:
            reasons.append(f"max abs error on {output} {err:.3g} > {limit:g}")
    if parity.top1_agreement is not None and parity.top1_agreement < tol.get(
        "min_top1_agreement", 0
    ):
        reasons.append(
            f"top-1 agreement {parity.top1_agreement:.4f} < {tol['min_top1_agreement']:g}"
        )
    if parity.cosine_min is not None and parity.cosine_min < tol.get("min_cosine", 0):
        reasons.append(f"min cosine {parity.cosine_min:.4f} < {tol['min_cosine']:g}")
    return "parity: " + ("; ".join(reasons) if reasons else "passed")


def _same_shape(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return a, b


def tolerances_for(precision: str, fp32: Tolerances) -> Tolerances:
    """Conversion (FP32) is held to `fp32`. FP16 moves probabilities a little (abs 1e-2);
    INT8 can flip near-ties completely, so it is gated on top-1 agreement and the accuracy gate."""
    if precision == "fp16":
        return Tolerances(max(fp32.max_abs_error, 1e-2), fp32.min_top1_agreement, fp32.min_cosine)
    if precision == "int8":  # probabilities are in [0, 1]: 1.0 records the error without gating it
        return Tolerances(1.0, min(fp32.min_top1_agreement, 0.95), min(fp32.min_cosine, 0.98))
    return fp32
