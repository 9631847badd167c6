"""Conversion output in a canonical form, so one model has one identity (issue 19 item 2)."""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper

from slipway.convert import onnx_checks


def tiny(opsets):
    """Gemm with transB (OpenVINO folds the transpose into an unnamed constant) then Relu."""
    import numpy as np
    from onnx import numpy_helper

    weights = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(3, 2), "w")
    nodes = [
        helper.make_node("Gemm", ["input", "w"], ["hidden"], transB=1),
        helper.make_node("Relu", ["hidden"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [None, 3])],
        [weights],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])


def test_opset_import_order_does_not_change_the_bytes(tmp_path):
    # given the same model saved with its operator sets listed in two orders
    a, b = tmp_path / "a.onnx", tmp_path / "b.onnx"
    onnx.save(tiny([("", 17), ("com.microsoft", 1), ("ai.onnx.ml", 1)]), str(a))
    onnx.save(tiny([("ai.onnx.ml", 1), ("com.microsoft", 1), ("", 17)]), str(b))
    assert a.read_bytes() != b.read_bytes()
    # when canonicalized / then the files are the same bytes, the sets sorted by domain
    onnx_checks.canonicalize(a), onnx_checks.canonicalize(b)
    assert a.read_bytes() == b.read_bytes()
    domains = [o.domain for o in onnx.load(str(a)).opset_import]
    assert domains == ["", "ai.onnx.ml", "com.microsoft"]


def test_openvino_names_do_not_depend_on_what_the_process_converted_before(small_model, tmp_path):
    from slipway.convert import openvino_ir, sklearn_onnx

    # given the small digits pipeline (its lowered Scaler and folded transposes are operations
    # OpenVINO names itself)
    src = sklearn_onnx.to_onnx(small_model[0], tmp_path / "m.onnx")
    ready = openvino_ir.openvino_ready(src, tmp_path / "ready.onnx", classifier=True)
    # when it is converted to IR three times in one process
    xmls = [
        openvino_ir.convert_ir(ready, tmp_path / f"ir{i}" / "model.xml", False) for i in (0, 1, 2)
    ]
    # then the IR files are byte for byte the same
    assert len({x.read_bytes() for x in xmls}) == 1
    assert len({x.with_suffix(".bin").read_bytes() for x in xmls}) == 1
