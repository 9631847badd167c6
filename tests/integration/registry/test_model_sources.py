"""A model a notebook logged to MLflow (sklearn flavor, skops format) is a release source by
every URI form `slipway release` takes: models:/NAME/VERSION, models:/NAME@alias,
runs:/RUN/PATH. (The whole release of one of them: tests/integration/flows/
test_release_any_model.py.)"""

from __future__ import annotations

import pytest

from slipway.errors import BadInput
from tests.support.heldout import make_heldout


@pytest.fixture
def logged(tmp_path):
    import mlflow

    from slipway.registry import open_registry
    from slipway.tracking import configure_mlflow

    heldout = make_heldout(tmp_path / "heldout")
    configure_mlflow()
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(
            heldout.fitted(),
            name="model",
            registered_model_name="notebook-model",
            serialization_format="skops",
        )
    open_registry().client.set_registered_model_alias("notebook-model", "staging", "1")
    return run.info.run_id


def test_every_mlflow_uri_form_loads_the_skops_model(logged, tmp_path):
    from slipway.convert.sources import load_source

    for uri in (
        "models:/notebook-model/1",
        "models:/notebook-model@staging",
        f"runs:/{logged}/model",
    ):
        source = load_source(uri, workdir=tmp_path / uri.replace("/", "_").replace(":", ""))
        assert (source.kind, source.framework, source.origin) == ("sklearn", "sklearn", uri)
        assert source.path.suffix == ".skops" and len(source.model.feature_names_in_) == 30


def test_an_unknown_registry_model_is_bad_input(logged, tmp_path):
    from slipway.convert.sources import load_source

    with pytest.raises(BadInput, match="models:/no-such-model/1: MLflow cannot download it"):
        load_source("models:/no-such-model/1", workdir=tmp_path)
