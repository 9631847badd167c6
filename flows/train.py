"""`train`: fit the example model and publish it with its data splits and an MLflow run."""

from __future__ import annotations

from prefect import flow

from slipway.core.layout import TRAIN_RESULT
from slipway.train.params import TrainParams, TrainResult
from slipway.train.stage import parameter_count
from tasks.train import evaluate_model, fit_model, load_and_split, publish


@flow(name="train", log_prints=True)
def train(params: TrainParams = TrainParams()) -> TrainResult:
    from slipway.store import open_store
    from slipway.tracking import stage_run

    store = open_store()
    splits = load_and_split(params)
    with stage_run("train") as run:
        run.log_params(
            {
                "arch": params.arch,
                "dataset": params.dataset,
                "hidden_layers": ",".join(map(str, params.hidden_layers)),
                "max_iter": params.max_iter,
                "epochs": params.epochs,
                "seed": params.seed,
                "rows_train": len(splits.train),
                "rows_eval": len(splits.eval),
                "rows_reference": len(splits.reference),
            }
        )
        model = fit_model(splits.train, params)
        shape = params.input_shape
        metrics = evaluate_model(model, splits.eval, params.target_column, shape)
        model_uri, data_uris, fingerprints = publish(store, run.run_id, model, splits, shape)
        run.log_metrics({f"eval_{k}": v for k, v in metrics.items()})
        run.set_tags({f"slipway.data.{k}.sha256": v for k, v in fingerprints.items()})
        run.set_tags({"slipway.model_uri": model_uri})
        result = TrainResult(
            run_id=run.run_id,
            model_uri=model_uri,
            data_uris=data_uris,
            fingerprints=fingerprints,
            metrics=metrics,
            feature_names=[c for c in splits.train.columns if c != params.target_column],
            target_column=params.target_column,
            parameter_count=parameter_count(model),
            input_shape=shape,
            classes=int(splits.train[params.target_column].nunique()) if shape else None,
        )
        run.log_dict(result.model_dump(), TRAIN_RESULT)
    print(f"trained {result.parameter_count} parameters, eval accuracy {metrics['accuracy']:.4f}")
    return result


if __name__ == "__main__":
    train()
