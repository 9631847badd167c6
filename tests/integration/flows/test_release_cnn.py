"""The `release` flow on the image example: a PyTorch CNN (`.pt2`) through every stage."""

from __future__ import annotations

import pytest

from flows.release import release
from slipway.release.params import ReleaseParams
from slipway.train.params import TrainParams

pytestmark = pytest.mark.slow

CNN = {
    "train": TrainParams(arch="cnn", epochs=2),
    "targets": ["onnx-fp32", "ort-int8-static", "openvino-fp32", "openvino-int8"],
    "bench_batch_sizes": [1, 8],
    "bench_threads": [1],
    "max_accuracy_drop": 0.03,
}


def test_the_cnn_is_released_with_a_tensor_contract_and_image_profiles():
    from slipway import registry
    from slipway.drift.profiles import deserialize
    from slipway.layout import read_contract, read_manifest, read_reference_profile

    result = release(ReleaseParams(model_name="digits-cnn", **CNN))
    assert (result.version, result.outcome) == ("1", "promoted")
    reg = registry.open_registry()
    evidence = reg.read_evidence("digits-cnn", "1")
    assert {g: gate.status for g, gate in evidence.gates.items()} == {
        "data_validation": "passed",
        "parity": "passed",
        "accuracy": "passed",
        "latency": "passed",
    }
    bundle = reg.download_bundle("digits-cnn", "1")
    manifest = read_manifest(bundle)
    assert manifest.source["format"] == "torch-exported"
    assert manifest.input_shape == [1, 32, 32]
    status = {c.name: c.status for c in manifest.candidates}
    assert status == {name: "accepted" for name in CNN["targets"]}, manifest.candidates
    contract = read_contract(bundle)
    assert contract.schema_version == 2 and not contract.is_tabular
    (tensor,) = contract.inputs
    assert (tensor.name, tensor.datatype, tensor.shape) == ("input", "FP32", [-1, 1, 32, 32])
    assert tensor.min == 0.0 and tensor.max == 1.0
    assert [o.name for o in contract.outputs] == ["label", "probabilities"]
    # the reference profile holds the per-image summaries, the class and its confidence
    columns = set(deserialize(read_reference_profile(bundle)).get_columns())
    assert {"mean_intensity", "std_intensity", "dark_fraction", "prediction", "confidence"} <= (
        columns
    )
    assert len(manifest.feature_names) == 1024  # one flattened image per data row


def test_an_image_input_shape_on_a_tabular_model_is_refused(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from slipway.convert.params import OptimizeParams
    from slipway.convert.prepare import prepare
    from slipway.errors import BadInput
    from slipway.modelio import save_sklearn
    from slipway.train.digits import digits_frame

    frame = digits_frame().head(100)
    model = LogisticRegression(max_iter=50).fit(frame.drop(columns=["digit"]), frame["digit"])
    path = save_sklearn(model, tmp_path / "m.skops")
    frame.to_parquet(tmp_path / "eval.parquet")
    params = OptimizeParams(
        model=str(path),
        eval_data=str(tmp_path / "eval.parquet"),
        target_column="digit",
        input_shape=[1, 8, 8],
        out=str(tmp_path / "out"),
    )
    with pytest.raises(BadInput, match="input_shape .* is for PyTorch image models"):
        prepare(params)
