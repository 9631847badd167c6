"""`retrain`: reference data plus the recent labelled window -> the whole `release` flow
(train, then every gate), so a retrained model ships only like any other.

The labelled window is split: its training part is mixed into the reference data at the
policy's `labelled_share` (resampled), its held-out part (`holdout`) is never trained on. When
a champion exists, the registered version is compared with it on the held-out rows (the paired
test of `slipway.core.comparison`), both accuracies reported and recorded on the version; a
version worse beyond `max_regression` and the noise is rejected and never canaried."""

from __future__ import annotations

from prefect import flow

from flows.release import release
from slipway.drift.params import RetrainParams, RetrainResult
from slipway.release.params import ReleaseParams
from slipway.train.params import TrainParams
from tasks.promote import champion_of
from tasks.retrain import build_training_set, compare_on_held_out


@flow(name="retrain", log_prints=True)
def retrain(params: RetrainParams = RetrainParams()) -> RetrainResult:
    dataset, held_out, rows = build_training_set(params)
    window = (
        f"{rows['labelled_train']} of {rows['labelled']} labelled window rows mixed in at "
        f"{params.labelled_share:.0%}, {rows['held_out']} held out"
        if held_out
        else "no labelled window: the reference data alone"
    )
    print(
        f"retraining {params.model_name} on {rows['total']} rows ({rows['reference']} reference; "
        f"{window}){': ' + params.reason if params.reason else ''}"
    )
    champion = champion_of(params.model_name)
    train = TrainParams(
        arch=params.arch,
        epochs=params.epochs,
        dataset=dataset,
        target_column=params.target_column,
        max_iter=params.max_iter,
        hidden_layers=params.hidden_layers,
        seed=params.seed,
    )
    overrides = {"targets": params.targets} if params.targets else {}
    released = release(ReleaseParams(model_name=params.model_name, train=train, **overrides))
    result = RetrainResult(
        model_name=params.model_name,
        dataset=dataset,
        rows=rows,
        release=released.model_dump(mode="json"),
        version=released.version,
        champion=champion,
        summary=f"version {released.version}: {released.outcome}",
    )
    if held_out and champion is not None and released.outcome == "registered":
        record = compare_on_held_out(
            params.model_name,
            released.version,
            champion,
            held_out,
            params.max_regression,
            params.alpha,
        )
        result.holdout, result.accepted = record, bool(record["passed"])
        result.summary = (
            f"version {released.version} vs champion v{champion} on {record['rows']} held-out "
            f"labelled rows: accuracy {record['candidate']:.4f} vs {record['champion']:.4f} "
            f"({record['test']}: p={record['p_value']:.3g} that it is worse, "
            f"p={record['p_better']:.3g} that it is better): "
            + ("accepted, waits as `candidate` for its canary" if result.accepted else "rejected")
        )
    print(result.summary)
    return result


if __name__ == "__main__":
    retrain()
