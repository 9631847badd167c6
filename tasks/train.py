"""Tasks of the `train` flow: thin wrappers over slipway.train."""

from __future__ import annotations

import tempfile
from pathlib import Path

from prefect import task

from slipway.data import fingerprint, table_bytes
from slipway.modelio import save_sklearn
from slipway.store import ArtifactStore
from slipway.train import stage as training
from slipway.train.params import TrainParams


@task(name="load-and-split")
def load_and_split(params: TrainParams) -> training.Splits:
    return training.split(training.load_dataset(params), params)


@task(name="fit-model")
def fit_model(train_frame, params: TrainParams):
    return training.fit(train_frame, params)


@task(name="evaluate-model")
def evaluate_model(
    model, eval_frame, target_column: str, input_shape: list[int] | None = None
) -> dict[str, float]:
    return training.evaluate(model, eval_frame, target_column, input_shape)


@task(name="publish-artifacts", retries=2, retry_delay_seconds=1)
def publish(
    store: ArtifactStore,
    run_id: str,
    model,
    splits: training.Splits,
    input_shape: list[int] | None = None,
) -> tuple[str, dict, dict]:
    """Write the model (skops; an image model as a torch.export `.pt2`) and the splits
    (Parquet) under `train/<run_id>/`."""
    prefix = f"train/{run_id}"
    with tempfile.TemporaryDirectory() as tmp:
        if input_shape is not None:
            from slipway.train.cnn import export_pt2

            model_path = export_pt2(model, Path(tmp) / "model.pt2", input_shape)
        else:
            model_path = save_sklearn(model, Path(tmp) / "model.skops")
        model_uri = store.put_file(f"{prefix}/{model_path.name}", model_path)
    data_uris, fingerprints = {}, {}
    for name in ("train", "eval", "reference"):
        frame = getattr(splits, name)
        data_uris[name] = store.put_bytes(f"{prefix}/data/{name}.parquet", table_bytes(frame))
        fingerprints[name] = fingerprint(frame)
    return model_uri, data_uris, fingerprints
