"""Tasks of the `retrain` flow."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task

from slipway.drift.params import RetrainParams


@task(name="build-training-set", retries=1, retry_delay_seconds=1)
def build_training_set(params: RetrainParams) -> tuple[str, dict[str, int]]:
    """Write reference + labelled window to the store; its `store:KEY` and the row counts."""
    from slipway.data import read_table, table_bytes
    from slipway.drift.retraining import combine, load_reference
    from slipway.store import open_store

    reference = load_reference(params.reference, params.arch)
    rows = {"reference": len(reference), "labelled": 0}
    frame = reference
    if params.labelled:
        labelled = read_table(params.labelled)
        rows["labelled"] = len(labelled)
        frame = combine(reference, labelled, params.target_column)
    rows["total"] = len(frame)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = f"retrain/{params.model_name}/{stamp}/train.parquet"
    open_store().put_bytes(key, table_bytes(frame))
    return f"store:{key}", rows
