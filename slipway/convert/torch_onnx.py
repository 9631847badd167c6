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


def export_classifier(module, path: Path, width: int | list[int]) -> Path:
    """Export the logits, then append Softmax -> `probabilities` and ArgMax -> `label` in ONNX
    (a wrapper module cannot be traced around a TorchScript module). `width`: the feature
    count of an [N, F] input, or one item's shape (an image's [1, 32, 32])."""
    import onnx
    from onnx import TensorProto, helper

    item = [width] if isinstance(width, int) else list(width)
    sample = np.zeros((2, *item), dtype=np.float32)
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


def probabilities_module(module):
    """`module` (logits) followed by a softmax: what the OpenVINO PyTorch frontend converts for
    a classifier (the runtime takes the label as the argmax, as for the ONNX cut)."""
    torch = require_torch()

    class Probabilities(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return torch.softmax(self.inner(x), dim=1)

    wrapper = Probabilities(module)
    wrapper.training = False  # not .eval(): an ExportedProgram's module refuses train()
    return wrapper


def export_probabilities(module, sample: np.ndarray):
    """`probabilities_module(module)` as a `torch.export` ExportedProgram, batch dynamic."""
    torch = require_torch()
    batch = torch.export.Dim("batch", min=1, max=65536)
    try:
        with torch.no_grad():
            return torch.export.export(
                probabilities_module(module),
                (torch.from_numpy(np.ascontiguousarray(sample)),),
                dynamic_shapes=({0: batch},),
            )
    except Exception as exc:
        raise BadInput(
            f"cannot export the PyTorch model with torch.export: {str(exc).splitlines()[0][:300]}"
        ) from None
