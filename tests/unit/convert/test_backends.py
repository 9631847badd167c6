"""Backends on a tiny digits pipeline: ONNX contract, Scaler lowering for OpenVINO, ORT INT8,
TensorRT status."""

from __future__ import annotations

import numpy as np
import pytest

from slipway.convert import onnx_checks, openvino_ir, ort_quant, sklearn_onnx, tensorrt
from slipway.core.manifest import Candidate
from slipway.errors import BadInput, Unavailable
from slipway.runtimes import load_candidate, load_onnx, load_openvino, tensorrt_availability


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
    reader = ort_quant.ArrayCalibrationReader(
        {"input": np.zeros((35, 2), np.float32)}, batch_size=16
    )
    sizes = []
    while (batch := reader.get_next()) is not None:
        sizes.append(len(batch["input"]))
    assert sizes == [16, 16, 3]
    reader.rewind()
    assert reader.get_next() is not None


NO_TRT = tensorrt_availability()


@pytest.mark.skipif(not NO_TRT, reason="TensorRT is usable here")
def test_tensorrt_reports_unavailable_with_reason(reference, tmp_path):
    with pytest.raises(Unavailable, match="CUDA|TensorRT|Tensorrt"):
        tensorrt.build_fp16(reference[1], tmp_path / "trt" / "model.onnx", reference[2][:1])


@pytest.mark.gpu
@pytest.mark.skipif(bool(NO_TRT), reason=NO_TRT or "TensorRT is usable")
def test_tensorrt_fp16_candidate_predicts(reference, tmp_path):
    model, path, x = reference
    dest = tensorrt.build_fp16(path, tmp_path / "tensorrt-fp16" / "model.onnx", x[:1])
    candidate = Candidate(
        name="tensorrt-fp16",
        format="onnx",
        runtime="tensorrt",
        precision="fp16",
        path="tensorrt-fp16/model.onnx",
        status="accepted",
    )
    labels = load_candidate(tmp_path, candidate).predict(x)["label"]
    assert dest.is_file() and (labels == model.predict(x)).mean() >= 0.98


@pytest.mark.parametrize("accuracy_control", [False, True])
def test_openvino_int8_with_and_without_accuracy_control(reference, tmp_path, accuracy_control):
    # given the OpenVINO FP32 IR of the classifier
    model, path, x = reference
    ready = openvino_ir.openvino_ready(path, tmp_path / "ready.onnx", classifier=True)
    fp32 = openvino_ir.convert_ir(ready, tmp_path / "fp32" / "model.xml", fp16=False)
    validation = (x[:100], model.predict(x[:100])) if accuracy_control else None
    # when quantized by NNCF on a small subset
    xml = openvino_ir.quantize_int8(
        fp32,
        tmp_path / "int8" / "model.xml",
        x[:64],
        subset_size=32,
        validation=validation,
        max_drop=0.01,
    )
    # then the INT8 model still agrees with scikit-learn
    labels = load_openvino(xml, threads=1).predict(x)["label"]
    assert (tmp_path / "int8" / "model.bin").is_file()
    assert (labels == model.predict(x)).mean() >= 0.95


def test_onnx_file_passthrough(small_model, reference, tmp_path):
    # given an ONNX file that already follows the contract
    from slipway.convert import stage
    from slipway.convert.params import OptimizeParams
    from slipway.convert.prepare import prepare

    params = OptimizeParams(
        model=str(reference[1]),
        eval_data=str(small_model[2]),
        target_column="digit",
        out=str(tmp_path / "out"),
        targets=["onnx-fp32", "openvino-fp32"],
    )
    # when prepared and built / then its outputs are the parity reference and both candidates pass
    prep = prepare(params)
    base = stage.baseline(prep)
    built = [stage.build_and_score(name, prep, params, base) for name in params.targets]
    assert prep.source.framework == "onnx" and prep.source_meta["path"] == "source/model.onnx"
    assert [c.status for c in built] == ["accepted", "accepted"], [c.reason for c in built]


def test_static_serving_shape_matches_dynamic_and_refuses_misfits(reference, tmp_path):
    # given the OpenVINO IR of the classifier (dynamic batch)
    _, path, x = reference
    ready = openvino_ir.openvino_ready(path, tmp_path / "ready.onnx", classifier=True)
    xml = openvino_ir.convert_ir(ready, tmp_path / "ir" / "model.xml", fp16=False)
    # when compiled for one serving shape / then it gives the dynamic model's outputs for that shape
    fixed = load_openvino(xml, threads=1, precision="fp32", shapes={"input": [4, 64]}).predict(
        x[:4]
    )
    dynamic = load_openvino(xml, threads=1, precision="fp32").predict(x[:4])
    np.testing.assert_allclose(fixed["probabilities"], dynamic["probabilities"], atol=1e-6)
    # and a shape for an input it lacks, or one of the wrong rank or width, is named
    with pytest.raises(BadInput, match=r"no input named input_ids \(inputs: input\)"):
        load_openvino(xml, shapes={"input_ids": [1, 128]})
    with pytest.raises(
        BadInput, match=r"input input has shape \[\?,64\], which cannot be fixed to \[1, 32\]"
    ):
        load_openvino(xml, shapes={"input": [1, 32]})
