"""Prediction confidence: a classifier's top-1 probability, watched after release (pure).

The gateway exports it per model, version and variant (`slipway_prediction_confidence`) and
profiles it for image models (column `confidence`); the canary compares the candidate's mean
confidence with the champion's (`CanaryPolicy.max_confidence_drop`); the drift monitor
counts a significant drop against the reference as prediction drift (`prediction_verdict`).
A model that grows unsure on production inputs is often the first sign they changed.
"""

from __future__ import annotations

import numpy as np

from slipway.core.drift_verdicts import FeatureScore

CONFIDENCE = "confidence"


def top1_confidence(probabilities) -> np.ndarray:
    """A classifier's probabilities `[N, C]` -> the top-1 probability per row `[N]`."""
    p = np.asarray(probabilities)
    return p.reshape(p.shape[0], -1).max(axis=1).astype(np.float64)


def mean_drop(reference_mean: float | None, current_mean: float | None) -> float | None:
    """How much the mean confidence fell (negative: it rose); None when a side is unknown."""
    if reference_mean is None or current_mean is None:
        return None
    return float(reference_mean) - float(current_mean)


def prediction_verdict(
    prediction: FeatureScore | None, confidence: FeatureScore | None, drop: float | None
) -> FeatureScore | None:
    """The prediction verdict the decision uses: the predicted class's when it drifted, else
    the confidence's when that drifted *downwards* (a rise in confidence is not a problem)."""
    if prediction is not None and prediction.drifted:
        return prediction
    if confidence is not None and confidence.drifted and drop is not None and drop > 0:
        return confidence
    return prediction
