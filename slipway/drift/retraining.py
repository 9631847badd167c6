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
