"""The retraining set: the reference data plus the recent labelled production window."""

from __future__ import annotations

from slipway.errors import BadInput


def load_reference(ref: str, arch: str = "mlp"):
    """'digits' (the example data; for the CNN as flattened 32x32 images) or a CSV/Parquet
    dataset with the label column."""
    if ref == "digits" and arch == "cnn":
        from slipway.train.cnn import digits_image_frame

        return digits_image_frame()
    if ref == "digits":
        from slipway.train.digits import digits_frame

        return digits_frame()
    from slipway.data import read_table

    return read_table(ref)


def combine(reference, labelled, target_column: str):
    """Reference rows then labelled rows, in the reference's column order and dtypes."""
    import pandas as pd

    for what, frame in (("reference", reference), ("labelled window", labelled)):
        if target_column not in frame.columns:
            raise BadInput(
                f"{what} data has no label column {target_column!r}: retraining needs labels"
            )
    missing = [c for c in reference.columns if c not in labelled.columns]
    if missing:
        raise BadInput(
            f"labelled window data lacks reference columns {', '.join(missing[:5])}"
            + (" ..." if len(missing) > 5 else "")
        )
    window = labelled[list(reference.columns)].astype(reference.dtypes.to_dict())
    return pd.concat([reference, window], ignore_index=True)


def split_window(labelled, target_column: str, holdout: float, seed: int = 0):
    """(training part, held-out part) of the labelled window, stratified by the label when
    every class has at least two rows; the held-out part compares the retrained version with
    the champion and is never trained on."""
    from sklearn.model_selection import train_test_split

    if target_column not in labelled.columns:
        raise BadInput(
            f"labelled window data has no label column {target_column!r}: retraining needs labels"
        )
    counts = labelled[target_column].value_counts()
    held = max(1, round(holdout * len(labelled)))
    if len(labelled) - held < 1:
        raise BadInput(
            f"labelled window of {len(labelled)} rows is too small to hold {holdout:.0%} out: "
            "give more labelled rows"
        )
    stratify = (
        labelled[target_column]
        if counts.min() >= 2 and held >= len(counts) and len(labelled) - held >= len(counts)
        else None
    )
    train, test = train_test_split(labelled, test_size=held, random_state=seed, stratify=stratify)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def recency_mix(reference, window, share: float, seed: int = 0):
    """The reference rows once each, then the labelled window resampled (with replacement) so
    that it makes up `share` of the result (at least every window row once): the weight recent
    production gets against the reference data (policy `retrain.labelled_share`)."""
    import numpy as np
    import pandas as pd

    if len(window) == 0:
        return reference.reset_index(drop=True)
    if not 0 < share < 1:
        raise BadInput(f"labelled share {share}: give a value between 0 and 1 (exclusive)")
    wanted = max(len(window), round(share / (1 - share) * len(reference)))
    rng = np.random.default_rng(seed)
    picks = np.concatenate(
        [np.arange(len(window)), rng.integers(0, len(window), size=wanted - len(window))]
    )
    return pd.concat([reference, window.iloc[picks]], ignore_index=True)


def training_set(reference, labelled, target_column: str, share: float, holdout: float, seed=0):
    """(training frame, held-out labelled rows, row counts) for a retrain that learns the
    change: the window is cast to the reference's schema, split, and its training part mixed
    in at `share`."""
    window = combine(reference, labelled, target_column).iloc[len(reference) :]
    train_part, held_out = split_window(window, target_column, holdout, seed)
    frame = recency_mix(reference, train_part, share, seed)
    rows = {
        "reference": len(reference),
        "labelled": len(labelled),
        "labelled_train": len(train_part),
        "held_out": len(held_out),
        "total": len(frame),
    }
    return frame, held_out, rows


def holdout_comparison(
    candidate_bundle, champion_bundle, held_out, max_regression: float, alpha: float
):
    """The retrained version (candidate) against the champion on the held-out labelled rows:
    the paired test of `slipway.core.comparison` (exact McNemar), both accuracies reported.
    (the gate: not worse beyond `max_regression` and the noise; the one-sided p-value that it
    is better, for the report)."""
    from slipway.core.comparison import compare_classifiers
    from slipway.drift.scoring import predictions_on

    _, truth, new = predictions_on(candidate_bundle, held_out, what="the retrained version")
    _, _, old = predictions_on(champion_bundle, held_out, what="the champion")
    gate = compare_classifiers(truth, new, old, max_regression=max_regression, alpha=alpha)
    better = compare_classifiers(truth, new, old, require_improvement=True, alpha=alpha)
    return gate, better.p_value
