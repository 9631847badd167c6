"""Issue 19 item 9: the INT8 builds of the example log no warning a user cannot act on (no
"sympy is required", no "failed to infer the type of tensor", no failed pre-processing
variant before the one that works)."""

from __future__ import annotations

import logging
import warnings

import numpy as np

from slipway.convert import ort_quant, sklearn_onnx


def test_the_int8_builds_of_the_example_emit_no_warning(small_model, tmp_path, caplog, capfd):
    # given the example pipeline as ONNX (its Scaler and label head are ai.onnx.ml operators)
    model, _, _, frame = small_model
    src = sklearn_onnx.to_onnx(model, tmp_path / "model.onnx")
    x = frame.drop(columns=["digit"]).to_numpy(dtype=np.float32)[:50]
    capfd.readouterr()
    # when both ORT INT8 candidates are built
    with caplog.at_level(logging.WARNING), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ort_quant.quantize_dynamic_int8(src, tmp_path / "dyn" / "model.onnx", tmp_path)
        ort_quant.quantize_static_qdq(src, tmp_path / "st" / "model.onnx", {"input": x}, tmp_path)
    # then nothing at WARNING or above was logged or printed, and no Python warning raised
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    out, err = capfd.readouterr()
    for text in ("WARNING", "sympy is required", "failed to infer the type of tensor"):
        assert text not in out + err
    assert [str(w.message) for w in caught] == []
    assert (tmp_path / "dyn" / "model.onnx").is_file() and (
        tmp_path / "st" / "model.onnx"
    ).is_file()


def test_the_variant_order_follows_the_graph(small_model, tmp_path):
    import onnx
    from onnx import TensorProto, helper

    # an ai.onnx.ml graph starts with both steps skipped; a standard graph with the full one
    ml = sklearn_onnx.to_onnx(small_model[0], tmp_path / "ml.onnx")
    assert ort_quant.variants_for(ml)[0] == {"skip_symbolic_shape": True, "skip_optimization": True}
    graph = helper.make_graph(
        [helper.make_node("Relu", ["input"], ["out"])],
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [None, 2])],
    )
    plain = tmp_path / "plain.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(plain))
    assert ort_quant.variants_for(plain)[0] == {}
