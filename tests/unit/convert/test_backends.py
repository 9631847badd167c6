"""Backends on a tiny digits pipeline: ONNX contract, Scaler lowering for OpenVINO, ORT INT8, TensorRT status."""

from __future__ import annotations

import numpy as np
import pytest

from slipway.convert import onnx_checks, openvino_ir, ort_quant, sklearn_onnx, tensorrt
from slipway.core.manifest import Candidate
from slipway.errors import BadInput, Unavailable
from slipway.runtimes import load_candidate, load_onnx, load_openvino


@pytest.fixture(scope="module")
def reference(small_model, tmp_path_factory):
    model, _, _, frame = small_model
    path = sklearn_onnx.to_onnx(model, tmp_path_factory.mktemp("ref") / "model.onnx")
    x = frame.drop(columns=["digit"]).to_numpy(np.float32)
    return model, path, x


def test_onnx_contract_names_and_parity(reference):
    # given the converted pipeline / then names follow the contract and outputs match sklearn
    model, path, x = reference
    checked = onnx_checks.load_checked(path)
    onnx_checks.check_contract(checked, path, classifier=True)
    assert [o.name for o in checked.graph.output] == ["label", "probabilities"]
    out = load_onnx(path).predict(x)
    assert out["label"].dtype == np.int64 and out["probabilities"].dtype == np.float32
    np.testing.assert_allclose(out["probabilities"], model.predict_proba(x), atol=1e-5)


def test_contract_refuses_other_names(reference, tmp_path):
    import onnx

    model = onnx.load(str(reference[1]))
    model.graph.input[0].name = "float_input"
    with pytest.raises(BadInput, match="one input named 'input'"):
        onnx_checks.check_contract(model, tmp_path / "m.onnx", classifier=True)


def test_scaler_is_lowered_and_openvino_matches(reference, tmp_path):
    # given the classifier graph with ai.onnx.ml Scaler and ArrayFeatureExtractor
    model, path, x = reference
    # when cut at probabilities and lowered
    ready = openvino_ir.openvino_ready(path, tmp_path / "ready.onnx", classifier=True)
    import onnx

    ops = {(n.domain, n.op_type) for n in onnx.load(str(ready)).graph.node}
    assert not any(domain == "ai.onnx.ml" for domain, _ in ops)
    # then OpenVINO FP32 gives sklearn's probabilities and labels (argmax)
    xml = openvino_ir.convert_ir(ready, tmp_path / "ir" / "model.xml", fp16=False)
    out = load_openvino(xml, threads=1, precision="fp32").predict(x)
    np.testing.assert_allclose(out["probabilities"], model.predict_proba(x), atol=1e-4)
    assert (out["label"] == model.predict(x)).mean() == 1.0


def test_unlowered_ml_operator_is_named(tmp_path):
    # given a graph with an ai.onnx.ml operator that is not lowered (Normalizer)
    from sklearn.preprocessing import Normalizer

    x = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    path = sklearn_onnx.to_onnx(Normalizer().fit(x), tmp_path / "norm.onnx")
    # when prepared for OpenVINO / then the candidate fails naming the operator
    with pytest.raises(BadInput, match=r"no conversion for operator ai\.onnx\.ml\.Normalizer"):
        openvino_ir.openvino_ready(path, tmp_path / "ready.onnx", classifier=False)


@pytest.mark.parametrize("kind", ["dynamic", "static"])
def test_ort_int8_keeps_accuracy(reference, tmp_path, kind):
    model, path, x = reference
    dest = tmp_path / "int8.onnx"
    if kind == "dynamic":
        ort_quant.quantize_dynamic_int8(path, dest, tmp_path)
    else:
        ort_quant.quantize_static_qdq(path, dest, {"input": x[:64]}, tmp_path)
    labels = load_onnx(dest).predict(x)["label"]
    assert (labels == model.predict(x)).mean() >= 0.95


def test_calibration_reader_batches_and_rewinds():
    reader = ort_quant.ArrayCalibrationReader({"input": np.zeros((35, 2), np.float32)}, batch_size=16)
    sizes = []
    while (batch := reader.get_next()) is not None:
        sizes.append(len(batch["input"]))
    assert sizes == [16, 16, 3]
    reader.rewind()
    assert reader.get_next() is not None


NO_TRT = tensorrt.availability()


@pytest.mark.skipif(not NO_TRT, reason="TensorRT is usable here")
def test_tensorrt_reports_unavailable_with_reason(reference, tmp_path):
    with pytest.raises(Unavailable, match="CUDA|TensorRT|Tensorrt"):
        tensorrt.build_fp16(reference[1], tmp_path / "trt" / "model.onnx", reference[2][:1])


@pytest.mark.gpu
@pytest.mark.skipif(bool(NO_TRT), reason=NO_TRT or "TensorRT is usable")
def test_tensorrt_fp16_candidate_predicts(reference, tmp_path):
    model, path, x = reference
    dest = tensorrt.build_fp16(path, tmp_path / "tensorrt-fp16" / "model.onnx", x[:1])
    candidate = Candidate(name="tensorrt-fp16", format="onnx", runtime="tensorrt", precision="fp16",
                          path="tensorrt-fp16/model.onnx", status="accepted")
    labels = load_candidate(tmp_path, candidate).predict(x)["label"]
    assert dest.is_file() and (labels == model.predict(x)).mean() >= 0.98
