"""Accuracy of a candidate on labelled eval data against the FP32 ONNX baseline: the gate.

Classification: accuracy (gate) and macro F1 (evidence); regression: MAE (lower is better,
so its drop is value - baseline); embeddings: mean cosine to FP32. A drop beyond
`max_drop` rejects the candidate.
"""

from __future__ import annotations

import numpy as np

from slipway.core.manifest import Accuracy

HIGHER_IS_BETTER = {"accuracy": True, "f1_macro": True, "mae": False, "cosine": True}


def accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    if truth.shape != predicted.shape or truth.size == 0:
        raise ValueError(
            f"need equal, non-empty label arrays (got {truth.shape} and {predicted.shape})"
        )
    return float(np.mean(truth == predicted))


def f1_macro(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Unweighted mean of per-class F1 over the classes present in truth or predictions."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    accuracy(truth, predicted)  # same validation
    scores = []
    for cls in np.union1d(truth, predicted):
        tp = float(np.sum((predicted == cls) & (truth == cls)))
        fp = float(np.sum((predicted == cls) & (truth != cls)))
        fn = float(np.sum((predicted != cls) & (truth == cls)))
        denom = 2 * tp + fp + fn
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores))


def mae(truth: np.ndarray, predicted: np.ndarray) -> float:
    truth = np.asarray(truth, dtype=np.float64).ravel()
    predicted = np.asarray(predicted, dtype=np.float64).ravel()
    if truth.shape != predicted.shape or truth.size == 0:
        raise ValueError(f"need equal, non-empty arrays (got {truth.shape} and {predicted.shape})")
    return float(np.mean(np.abs(truth - predicted)))


def drop(metric: str, value: float, baseline: float) -> float:
    """How much worse `value` is than `baseline` (positive = worse)."""
    if metric not in HIGHER_IS_BETTER:
        raise ValueError(f"unknown metric {metric!r} (known: {', '.join(HIGHER_IS_BETTER)})")
    return baseline - value if HIGHER_IS_BETTER[metric] else value - baseline


def gate(
    metric: str, value: float, baseline: float, max_drop: float, **evidence: float
) -> Accuracy:
    if max_drop < 0:
        raise ValueError(f"max_drop must be >= 0 (got {max_drop})")
    d = drop(metric, value, baseline)
    return Accuracy(
        metric=metric,
        value=value,
        baseline=baseline,
        drop=d,
        max_drop=max_drop,
        passed=d <= max_drop + 1e-12,
        **evidence,
    )


def describe_failure(result: Accuracy) -> str:
    return (
        f"accuracy: {result.metric} {result.value:.4f} vs FP32 {result.baseline:.4f}, "
        f"drop {result.drop:.4f} > max {result.max_drop:g}"
    )
