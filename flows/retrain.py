"""`retrain`: reference data plus the recent labelled window -> the whole `release` flow
(train, then every gate), so a retrained model ships only like any other."""

from __future__ import annotations

from prefect import flow

from flows.release import release
from slipway.drift.params import RetrainParams, RetrainResult
from slipway.release.params import ReleaseParams
from slipway.train.params import TrainParams
from tasks.retrain import build_training_set


@flow(name="retrain", log_prints=True)
def retrain(params: RetrainParams = RetrainParams()) -> RetrainResult:
    dataset, rows = build_training_set(params)
    print(
        f"retraining {params.model_name} on {rows['total']} rows ({rows['reference']} reference + "
        f"{rows['labelled']} labelled window){': ' + params.reason if params.reason else ''}"
    )
    train = TrainParams(
        arch=params.arch,
        epochs=params.epochs,
        dataset=dataset,
        target_column=params.target_column,
        max_iter=params.max_iter,
        hidden_layers=params.hidden_layers,
    )
    overrides = {"targets": params.targets} if params.targets else {}
    released = release(ReleaseParams(model_name=params.model_name, train=train, **overrides))
    return RetrainResult(
        model_name=params.model_name,
        dataset=dataset,
        rows=rows,
        release=released.model_dump(mode="json"),
    )


if __name__ == "__main__":
    retrain()
