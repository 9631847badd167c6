"""What `train` hands the rest of the release: where the model and its data are.

A typed record like the manifest and the validation report, so that register-version takes
it as a field (lineage, data fingerprints, the reference split) instead of reading a dict.
"""

from __future__ import annotations

from pydantic import BaseModel


class TrainResult(BaseModel):
    """The train run's id, the model and data URIs, fingerprints and eval metrics."""

    run_id: str
    model_uri: str
    data_uris: dict[str, str]
    fingerprints: dict[str, str]
    metrics: dict[str, float]
    feature_names: list[str]
    target_column: str
    parameter_count: int
    input_shape: list[int] | None = None
    """An image model's input item shape (e.g. [1, 32, 32]); a row of `feature_names` is one
    flattened item. None: a tabular model."""
    classes: int | None = None
