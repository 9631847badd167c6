"""PyTorch -> ONNX (the `torch` extra): `.pt2` ExportedProgram or TorchScript, dynamic batch.

A tabular classifier module maps `input` float32 [N, F] to logits [N, C]; the export wraps
it so the graph has the slipway contract: `label` int64 [N] (ArgMax) and `probabilities`
float32 [N, C] (Softmax). `export_named` exports any module with given input/output names
(used for transformer encoders such as MiniLM).
"""

from __future__ import annotations

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
            return torch.export.load(str(path)).module()
        module = torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:
        raise BadInput(f"{path}: not a loadable {kind} model ({str(exc).splitlines()[0][:200]})") from None
    return module.eval()


def classifier_wrapper(module):
    torch = require_torch()

    class Classifier(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x):
            probabilities = torch.softmax(self.inner(x), dim=1)
            return torch.argmax(probabilities, dim=1), probabilities

    return Classifier(module).eval()


def export_classifier(module, path: Path, width: int) -> Path:
    sample = np.zeros((2, width), dtype=np.float32)
    return export_named(
        classifier_wrapper(module), path, {"input": sample}, ["label", "probabilities"],
        dynamic={"input": {0: "batch"}, "label": {0: "batch"}, "probabilities": {0: "batch"}},
    )


def export_named(module, path: Path, sample: dict[str, np.ndarray], output_names: list[str], dynamic: dict) -> Path:
    """torch.onnx.export (TorchScript-based exporter, works for ScriptModules too)."""
    torch = require_torch()
    path.parent.mkdir(parents=True, exist_ok=True)
    args = tuple(torch.from_numpy(v) for v in sample.values())
    try:
        with torch.no_grad():
            torch.onnx.export(
                module, args, str(path), input_names=list(sample), output_names=output_names,
                dynamic_axes=dynamic, opset_version=OPSET, dynamo=False,
            )
    except Exception as exc:
        raise BadInput(f"cannot export the PyTorch model to ONNX: {str(exc).splitlines()[0][:300]}") from None
    return path


def predict_classifier(module, x: np.ndarray) -> dict[str, np.ndarray]:
    torch = require_torch()
    with torch.no_grad():
        label, proba = classifier_wrapper(module)(torch.from_numpy(x))
    return {"label": label.numpy().astype(np.int64), "probabilities": proba.numpy().astype(np.float32)}
