"""The `train` flow: a real Prefect flow run, a real MLflow run, real artifacts."""

from __future__ import annotations

import pytest

from slipway.errors import BadInput
from slipway.train import stage as training
from slipway.train.digits import digits_frame
from slipway.train.params import TrainParams

pytestmark = pytest.mark.slow


def test_train_flow_publishes_model_data_and_run(trained, trained_home):
    import mlflow

    from slipway.data import fingerprint, read_table
    from slipway.modelio import load_sklearn

    # then the model loads without pickle and scores well on eval data
    model = load_sklearn(trained.model_uri)
    eval_frame = read_table(trained.data_uris["eval"])
    assert training.evaluate(model, eval_frame, "digit")["accuracy"] > 0.9
    # the splits are stored and fingerprinted
    assert fingerprint(eval_frame) == trained.fingerprints["eval"]
    assert set(trained.data_uris) == {"train", "eval", "reference"}
    assert len(trained.feature_names) == 64
    # and the MLflow run carries params, metrics and data fingerprints
    run = mlflow.MlflowClient(tracking_uri=f"sqlite:///{trained_home}/mlflow.db").get_run(
        trained.run_id
    )
    assert run.data.params["dataset"] == "digits"
    assert run.data.metrics["eval_accuracy"] == pytest.approx(trained.metrics["accuracy"])
    assert run.data.tags["slipway.data.eval.sha256"] == trained.fingerprints["eval"]


def test_split_is_stratified_and_disjoint():
    frame = digits_frame()
    params = TrainParams()
    splits = training.split(frame, params)
    total = len(splits.train) + len(splits.eval) + len(splits.reference)
    assert total == len(frame)
    assert set(splits.eval["digit"].unique()) == set(range(10))
    assert splits.train.columns.tolist() == frame.columns.tolist()


def test_unknown_target_column_is_a_clear_error(tmp_path):
    frame = digits_frame().head(50)
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(BadInput, match="target column 'label' is missing"):
        training.load_dataset(TrainParams(dataset=str(path), target_column="label"))


def test_train_on_s3_artifact_root(s3_bucket, monkeypatch):
    from flows.train import train

    monkeypatch.setenv("SLIPWAY_ARTIFACT_ROOT", f"s3://{s3_bucket}/slipway")
    result = train(TrainParams(max_iter=5, hidden_layers=(16,)))
    assert result.model_uri.startswith(f"s3://{s3_bucket}/slipway/train/{result.run_id}/")
    from slipway.data import read_table

    assert len(read_table(result.data_uris["reference"])) > 0
