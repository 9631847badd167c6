"""Rows for `slipway traffic`: a table the user gives, or the champion's own eval split.

Without `--data`, the champion's evidence names its training run; that run's
`train_result.json` names the eval split in the artifact store.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from slipway.core.layout import TRAIN_RESULT
from slipway.errors import BadInput


def load_rows(data: str, feature_names: list[str] | None = None, target_column: str | None = None,
              limit: int = 10_000) -> list[list[float]]:
    """Rows of model input from a table (CSV/Parquet, local, s3:// or store:KEY): the given
    features in order, or every column but the target."""
    import numpy as np

    from slipway.data import read_table

    frame = read_table(data)
    if feature_names:
        missing = [c for c in feature_names if c not in frame.columns]
        if missing:
            raise BadInput(f"{data}: lacks the model's features {missing[:5]}{'...' if len(missing) > 5 else ''}")
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
    import mlflow
    from mlflow.exceptions import MlflowException

    from slipway import registry

    champion = registry.alias_version(name, registry.CHAMPION)
    if champion is None:
        raise BadInput(f"model {name!r} has no champion: give --data (a CSV/Parquet of model inputs)")
    run_id = registry.read_evidence(name, champion).training_run_id
    if not run_id:
        raise BadInput(f"{name} version {champion} names no training run: give --data")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=TRAIN_RESULT, dst_path=tmp)
        except (MlflowException, OSError):
            raise BadInput(f"training run {run_id} of {name} version {champion} has no {TRAIN_RESULT}: "
                           "give --data") from None
        ref = (json.loads(Path(path).read_text()).get("data_uris") or {}).get("eval")
    if not ref:
        raise BadInput(f"training run {run_id} records no eval split: give --data")
    return ref


def traffic_rows(name: str, data: str | None = None) -> list[list[float]]:
    """Model-input rows for `name`: from `data`, or from the champion's eval split."""
    from slipway import registry
    from slipway.layout import read_manifest

    features, target = None, None
    champion = registry.alias_version(name, registry.CHAMPION)
    if champion is not None:
        manifest = read_manifest(registry.download_bundle(name, champion))
        features, target = manifest.feature_names or None, manifest.target_column
    return load_rows(data or eval_data_ref(name), features, target)
