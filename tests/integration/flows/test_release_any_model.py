"""The `release` flow from an MLflow registry source: a model a notebook registered
(`mlflow.sklearn.log_model(..., registered_model_name=...)`, skops format) released by its
`models:/NAME@alias` URI under a serving name, through every gate."""

from __future__ import annotations

import pytest

from flows.release import release
from slipway.release.params import ReleaseParams
from tests.support.heldout import TARGET, make_heldout

pytestmark = pytest.mark.slow


def test_a_models_uri_from_the_local_mlflow_registry_is_released(tmp_path):
    import mlflow

    from slipway import registry
    from slipway.layout import read_manifest
    from slipway.tracking import configure_mlflow

    heldout = make_heldout(tmp_path / "heldout")
    configure_mlflow()
    fitted = heldout.fitted()
    with mlflow.start_run():
        mlflow.sklearn.log_model(
            fitted,
            name="model",
            registered_model_name="cancer-notebook",
            serialization_format="skops",
        )
    reg = registry.open_registry()
    reg.client.set_registered_model_alias("cancer-notebook", "staging", "1")

    result = release(
        ReleaseParams(
            model_name="cancer-served",
            model="models:/cancer-notebook@staging",
            eval_data=str(heldout.eval_data),
            reference_data=str(heldout.reference_data),
            target_column=TARGET,
            targets=["onnx-fp32"],
            bench_batch_sizes=[1],
            bench_threads=[1],
        )
    )
    assert (result.version, result.outcome) == ("1", "promoted")
    assert result.stages["model-source"]["summary"].startswith("models:/cancer-notebook@staging")
    assert "train" not in result.stages
    # registered under the serving name with every gate; the notebook's model is untouched
    evidence = reg.read_evidence("cancer-served", "1")
    assert {g: r.status for g, r in evidence.gates.items()} == {
        "data_validation": "passed",
        "parity": "passed",
        "accuracy": "passed",
        "latency": "passed",
    }
    manifest = read_manifest(reg.download_bundle("cancer-served", "1"))
    assert manifest.source["origin"] == "models:/cancer-notebook@staging"
    assert manifest.source["format"] == "sklearn"  # the skops file, not a pickle
    assert manifest.feature_names == list(fitted.feature_names_in_)
    assert reg.alias("cancer-notebook", registry.CHAMPION) is None
    assert len(reg.versions("cancer-notebook")) == 1
