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


def test_an_onnx_file_is_released(tmp_path):
    """An ONNX graph whose input is the feature matrix in the tables' column order."""
    from slipway import registry
    from slipway.convert.sklearn_onnx import to_onnx

    heldout = make_heldout(tmp_path / "heldout")
    model = to_onnx(heldout.fitted(), tmp_path / "cancer.onnx")
    result = release(
        ReleaseParams(
            model_name="cancer-onnx",
            model=str(model),
            eval_data=str(heldout.eval_data),
            reference_data=str(heldout.reference_data),
            target_column=TARGET,
            targets=["onnx-fp32"],
            bench_batch_sizes=[1],
            bench_threads=[1],
        )
    )
    assert (result.version, result.outcome) == ("1", "promoted")
    evidence = registry.open_registry().read_evidence("cancer-onnx", "1")
    assert evidence.gates["accuracy"].details["value"] > 0.9


def test_a_torch_exported_program_is_released(tmp_path):
    """A PyTorch classifier saved as a torch.export ExportedProgram (.pt2)."""
    import pandas as pd
    import torch

    from slipway import registry

    torch.manual_seed(0)
    heldout = make_heldout(tmp_path / "heldout")
    train = pd.read_csv(heldout.train_data)
    x = torch.tensor(train.drop(columns=[TARGET]).to_numpy(), dtype=torch.float32)
    y = torch.tensor(train[TARGET].to_numpy())

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mu", x.mean(0))
            self.register_buffer("sd", x.std(0) + 1e-6)
            self.f = torch.nn.Sequential(
                torch.nn.Linear(30, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)
            )

        def forward(self, v):
            return self.f((v - self.mu) / self.sd)

    net = Net()
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    for _ in range(150):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    net.eval()
    program = torch.export.export(net, (x[:2],), dynamic_shapes={"v": {0: torch.export.Dim("n")}})
    torch.export.save(program, tmp_path / "cancer.pt2")
    result = release(
        ReleaseParams(
            model_name="cancer-torch",
            model=str(tmp_path / "cancer.pt2"),
            eval_data=str(heldout.eval_data),
            reference_data=str(heldout.reference_data),
            target_column=TARGET,
            targets=["onnx-fp32"],
            bench_batch_sizes=[1],
            bench_threads=[1],
        )
    )
    assert (result.version, result.outcome) == ("1", "promoted")
    manifest_source = registry.open_registry().download_bundle("cancer-torch", "1")
    from slipway.layout import read_manifest

    assert read_manifest(manifest_source).source["format"] == "torch-exported"
