"""PyTorch -> ONNX (the `torch` extra): `.pt2` ExportedProgram or TorchScript, dynamic batch.

A tabular classifier module maps `input` float32 [N, F] to logits [N, C]; the exported graph
gets the slipway contract appended: `probabilities` float32 [N, C] (Softmax) and `label`
int64 [N] (ArgMax). `export_named` exports any module with given input/output names
(used for transformer encoders such as MiniLM).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from slipway.errors import BadInput, Unavailable

OPSET = 17


def require_torch():
    try:
        import torch
    except ImportError:
        raise Unavailable("PyTorch is not installed: pip install -e '.[torch]'") from None
    return torch


def load_torch(kind: str, path: Path):
    torch = require_torch()
    try:
        if kind == "torch-exported":
            return torch.export.load(str(path)).module()  # already in inference form (no .eval())
        module = torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:
        raise BadInput(
            f"{path}: not a loadable {kind} model ({str(exc).splitlines()[0][:200]})"
        ) from None
    return module.eval()


def export_classifier(module, path: Path, width: int) -> Path:
    """Export the logits, then append Softmax -> `probabilities` and ArgMax -> `label` in ONNX
    (a wrapper module cannot be traced around a TorchScript module)."""
    import onnx
    from onnx import TensorProto, helper

    sample = np.zeros((2, width), dtype=np.float32)
    export_named(
        module,
        path,
        {"input": sample},
        ["logits"],
        dynamic={"input": {0: "batch"}, "logits": {0: "batch"}},
    )
    model = onnx.load(str(path))
    graph = model.graph
    graph.node.extend(
        [
            helper.make_node(
                "Softmax", ["logits"], ["probabilities"], axis=1, name="slipway_softmax"
            ),
            helper.make_node(
                "ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0, name="slipway_argmax"
            ),
        ]
    )
    del graph.output[:]
    graph.output.extend(
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", None]),
        ]
    )
    onnx.save(model, str(path))
    return path


def export_named(
    module, path: Path, sample: dict[str, np.ndarray], output_names: list[str], dynamic: dict
) -> Path:
    """torch.onnx.export (TorchScript-based exporter, works for ScriptModules too)."""
    torch = require_torch()
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    args = tuple(torch.from_numpy(v) for v in sample.values())
    # in the model's folder: the exporter may leave a scratch weights file in the working
    # directory
    try:
        with torch.no_grad(), contextlib.chdir(path.parent):
            torch.onnx.export(
                module,
                args,
                str(path),
                input_names=list(sample),
                output_names=output_names,
                dynamic_axes=dynamic,
                opset_version=OPSET,
                dynamo=False,
                # modules are already in inference mode; an ExportedProgram's module refuses train()
                training=torch.onnx.TrainingMode.PRESERVE,
            )
    except Exception as exc:
        raise BadInput(
            f"cannot export the PyTorch model to ONNX: {str(exc).splitlines()[0][:300]}"
        ) from None
    return path


def predict_classifier(module, x: np.ndarray) -> dict[str, np.ndarray]:
    """PyTorch eager: softmax of the logits and their argmax, as the ONNX graph computes them."""
    torch = require_torch()
    with torch.no_grad():
        probabilities = torch.softmax(module(torch.from_numpy(x)), dim=1)
    return {
        "label": torch.argmax(probabilities, dim=1).numpy().astype(np.int64),
        "probabilities": probabilities.numpy().astype(np.float32),
    }
