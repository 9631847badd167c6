"""Tasks of the `retrain` flow."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task

from slipway.drift.params import RetrainParams


@task(name="build-training-set", retries=1, retry_delay_seconds=1)
def build_training_set(params: RetrainParams) -> tuple[str, str | None, dict[str, int]]:
    """Reference data plus the training part of the labelled window (mixed in at
    `labelled_share`) to the store, the held-out part beside it: (`store:KEY` of the training
    set, `store:KEY` of the held-out rows or None, the row counts)."""
    from slipway.data import read_table, table_bytes
    from slipway.drift.retraining import load_reference, training_set
    from slipway.store import open_store

    reference = load_reference(params.reference, params.arch)
    rows = {"reference": len(reference), "labelled": 0, "total": len(reference)}
    frame, held_out = reference, None
    if params.labelled:
        frame, held_out, rows = training_set(
            reference,
            read_table(params.labelled),
            params.target_column,
            params.labelled_share,
            params.holdout,
            params.seed,
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    prefix = f"retrain/{params.model_name}/{stamp}"
    store = open_store()
    store.put_bytes(f"{prefix}/train.parquet", table_bytes(frame))
    held_ref = None
    if held_out is not None:
        store.put_bytes(f"{prefix}/held_out.parquet", table_bytes(held_out))
        held_ref = f"store:{prefix}/held_out.parquet"
    return f"store:{prefix}/train.parquet", held_ref, rows


@task(name="compare-on-held-out", retries=1, retry_delay_seconds=1)
def compare_on_held_out(
    name: str, version: str, champion: str, held_out: str, max_regression: float, alpha: float
) -> dict:
    """The retrained version against the champion on the held-out labelled rows, recorded on
    the version (tag `slipway.retrain.holdout_comparison`); a failure rejects it."""
    import json

    from slipway.core.tags import HOLDOUT_COMPARISON
    from slipway.data import read_table
    from slipway.drift.retraining import holdout_comparison
    from slipway.registry import open_registry

    registry = open_registry()
    comparison, p_better = holdout_comparison(
        registry.download_bundle(name, version),
        registry.download_bundle(name, champion),
        read_table(held_out),
        max_regression,
        alpha,
    )
    record = {
        **comparison.as_dict(),
        "p_better": p_better,
        "champion_version": champion,
        "held_out": held_out,
    }
    registry.set_version_tags(name, version, {HOLDOUT_COMPARISON: json.dumps(record)})
    if not comparison.passed:
        registry.reject(
            name,
            version,
            reason=f"retrain: worse than champion v{champion} on the held-out labelled rows: "
            + comparison.reason,
            details=record,
        )
    return record
