"""Rows for `slipway traffic`: a table the user gives, or the champion's own eval split.

Without `--data`, the champion's evidence names its training run; that run's
`train_result.json` names the eval split in the artifact store.
"""

from __future__ import annotations

from slipway.core.layout import TRAIN_RESULT
from slipway.errors import BadInput


def load_rows(
    data: str,
    feature_names: list[str] | None = None,
    target_column: str | None = None,
    limit: int = 10_000,
) -> list[list[float]]:
    """Rows of model input from a table (CSV/Parquet, local, s3:// or store:KEY): the given
    features in order, or every column but the target."""
    import numpy as np

    from slipway.data import read_table

    frame = read_table(data)
    if feature_names:
        missing = [c for c in feature_names if c not in frame.columns]
        if missing:
            raise BadInput(
                f"{data}: lacks the model's features "
                f"{missing[:5]}{'...' if len(missing) > 5 else ''}"
            )
        frame = frame[feature_names]
    elif target_column and target_column in frame.columns:
        frame = frame.drop(columns=[target_column])
    try:
        values = frame.head(limit).to_numpy(dtype=np.float32)
    except (TypeError, ValueError):
        raise BadInput(f"{data}: the feature columns are not all numeric") from None
    if values.size == 0:
        raise BadInput(f"{data}: has no rows to send")
    return values.tolist()


def eval_data_ref(name: str) -> str:
    """The eval split the champion was trained with (`store:...`, a path or `s3://...`)."""
    from slipway.registry import CHAMPION, open_registry
    from slipway.tracking import load_run_dict

    registry = open_registry()
    champion = registry.alias(name, CHAMPION)
    if champion is None:
        raise BadInput(
            f"model {name!r} has no champion: give --data (a CSV/Parquet of model inputs)"
        )
    run_id = registry.read_evidence(name, champion).training_run_id
    if not run_id:
        raise BadInput(f"{name} version {champion} names no training run: give --data")
    train = load_run_dict(
        run_id, TRAIN_RESULT, f"of {name} version {champion}: give --data", what="training run"
    )
    ref = (train.get("data_uris") or {}).get("eval")
    if not ref:
        raise BadInput(f"training run {run_id} records no eval split: give --data")
    return ref


def traffic_rows(name: str, data: str | None = None) -> list[list]:
    """Model-input rows for `name`: from `data`, or from the champion's eval split. For a
    tensor model (an image classifier) each row is one item as nested lists of its shape."""
    from slipway.layout import read_manifest
    from slipway.registry import CHAMPION, open_registry

    features, target, shape = None, None, None
    registry = open_registry()
    champion = registry.alias(name, CHAMPION)
    if champion is not None:
        manifest = read_manifest(registry.download_bundle(name, champion))
        features, target = manifest.feature_names or None, manifest.target_column
        shape = manifest.input_shape
    rows = load_rows(data or eval_data_ref(name), features, target)
    return as_items(rows, shape)


def as_items(rows: list[list[float]], shape: list[int] | None) -> list[list]:
    """Flat rows -> nested lists of one item's `shape` (unchanged without a shape)."""
    if shape is None:
        return rows
    import numpy as np

    array = np.asarray(rows, dtype=np.float32)
    size = int(np.prod(shape))
    if array.ndim != 2 or array.shape[1] != size:
        raise BadInput(
            f"traffic data rows hold {array.shape[-1]} values, one item of shape {shape} needs "
            f"{size}: give the model's eval data"
        )
    return array.reshape(len(array), *shape).tolist()
