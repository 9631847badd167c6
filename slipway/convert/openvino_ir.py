"""OpenVINO IR: FP32, FP16-compressed and INT8 (NNCF), from an OpenVINO-ready ONNX graph.

OpenVINO has no `ai.onnx.ml` operators: a classifier graph is cut at `probabilities`
(`onnx.utils.extract_model`; the label becomes their argmax at load time) and
`ai.onnx.ml.Scaler` is lowered to standard Sub/Mul. Any other `ai.onnx.ml` operator left
fails the candidate with its name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from slipway.errors import BadInput

ML_DOMAIN = "ai.onnx.ml"


def lower_scaler(model) -> int:
    """Replace every ai.onnx.ml.Scaler node by (x - offset) * scale; return how many."""
    from onnx import helper, numpy_helper

    lowered, nodes = 0, []
    for node in model.graph.node:
        if node.domain == ML_DOMAIN and node.op_type == "Scaler":
            attrs = {a.name: list(helper.get_attribute_value(a)) for a in node.attribute}
            prefix = node.name or f"scaler{lowered}"
            offset = numpy_helper.from_array(
                np.asarray(attrs.get("offset", [0.0]), np.float32), f"{prefix}_offset"
            )
            scale = numpy_helper.from_array(
                np.asarray(attrs.get("scale", [1.0]), np.float32), f"{prefix}_scale"
            )
            model.graph.initializer.extend([offset, scale])
            centered = f"{prefix}_centered"
            nodes.append(
                helper.make_node(
                    "Sub", [node.input[0], offset.name], [centered], name=f"{prefix}_sub"
                )
            )
            nodes.append(
                helper.make_node(
                    "Mul", [centered, scale.name], list(node.output), name=f"{prefix}_mul"
                )
            )
            lowered += 1
        else:
            nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return lowered


def openvino_ready(src: Path, dest: Path, classifier: bool) -> Path:
    """Cut at `probabilities` (classifiers), lower Scaler, refuse any remaining ai.onnx.ml op."""
    import onnx
    from onnx.utils import extract_model

    dest.parent.mkdir(parents=True, exist_ok=True)
    if classifier:
        extract_model(str(src), str(dest), ["input"], ["probabilities"], check_model=False)
        model = onnx.load(str(dest))
    else:
        model = onnx.load(str(src))
    lower_scaler(model)
    left = sorted({f"{n.domain}.{n.op_type}" for n in model.graph.node if n.domain == ML_DOMAIN})
    if left:
        raise BadInput(
            f"OpenVINO has no conversion for operator {', '.join(left)} (only ai.onnx.ml.Scaler is "
            "lowered)"
        )
    used = {n.domain for n in model.graph.node}
    kept = [o for o in model.opset_import if o.domain in used or o.domain in ("", "ai.onnx")]
    del model.opset_import[:]
    model.opset_import.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, str(dest))
    return dest


def stable_names(model):
    """Give every operation OpenVINO named itself (`<Type>_<counter>`) a name from its position.

    OpenVINO numbers unnamed operations with a process-wide counter, so the same graph converted
    twice in one process (a release, then its rerun) wrote a different `model.xml` and got a new
    identity; positions in the topologically ordered graph are the same every time."""
    import re

    for index, op in enumerate(model.get_ordered_ops()):
        generated = re.fullmatch(r"([A-Z][A-Za-z0-9]*)_\d+", op.get_friendly_name())
        if generated:  # also a folded constant keeps its producer's name (`Transpose_1987`)
            op.set_friendly_name(f"{generated.group(1)}_{index}")
    return model


def save_ir(model, dest_xml: Path, fp16: bool = False) -> Path:
    """Write the IR (`.xml` + `.bin`) with stable operation names: the same model, same bytes."""
    import openvino as ov

    dest_xml.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(stable_names(model), str(dest_xml), compress_to_fp16=fp16)
    return dest_xml


def convert_ir(src: Path, dest_xml: Path, fp16: bool):
    import openvino as ov

    return save_ir(ov.convert_model(str(src)), dest_xml, fp16)


def convert_torch(
    module, example: dict[str, np.ndarray], output_names: list[str], dest_xml: Path
) -> Path:
    """OpenVINO IR straight from a PyTorch module (OpenVINO's PyTorch frontend), every input
    axis dynamic. Unlike the ONNX route, `scaled_dot_product_attention` stays one
    ScaledDotProductAttention op that the CPU plugin runs as a fused kernel (all-MiniLM-L6-v2
    INT8: about 8% faster than the IR converted from ONNX, bench/RESULTS.md)."""
    import openvino as ov
    import torch

    tensors = {name: torch.from_numpy(value) for name, value in example.items()}
    spec = [(name, [-1] * value.ndim, ov.Type(value.dtype)) for name, value in example.items()]
    try:
        with torch.no_grad():
            model = ov.convert_model(module, example_input=tensors, input=spec)
    except Exception as exc:
        raise BadInput(
            f"OpenVINO cannot convert the PyTorch module ({str(exc).splitlines()[0][:300]})"
        ) from None
    if len(model.outputs) != len(output_names):
        raise BadInput(
            f"the PyTorch module has {len(model.outputs)} outputs, expected {len(output_names)} "
            f"({output_names})"
        )
    for output, name in zip(model.outputs, output_names, strict=True):
        output.get_tensor().set_names({name})
    return save_ir(model, dest_xml)


def quantize_int8(
    src: Path,
    dest_xml: Path,
    calibration: np.ndarray | list[dict[str, np.ndarray]],
    subset_size: int = 300,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    max_drop: float = 0.01,
    transformer: bool = False,
) -> Path:
    """NNCF post-training INT8 from calibration rows (or a list of named-input batches);
    with `validation` (x, y): accuracy-controlled quantization; `transformer` picks NNCF's
    transformer scheme (keeps sensitive ops in float)."""
    import nncf
    import openvino as ov

    core = ov.Core()
    model = core.read_model(str(src))
    if isinstance(calibration, np.ndarray):
        items = [calibration[i : i + 1] for i in range(len(calibration))]
    else:
        items = list(calibration)
    dataset = nncf.Dataset(items)
    subset = max(1, min(subset_size, len(items)))
    if validation is None:
        extra = {"model_type": nncf.ModelType.TRANSFORMER} if transformer else {}
        quantized = nncf.quantize(model, dataset, subset_size=subset, **extra)
    else:
        x, y = validation
        val = nncf.Dataset([(x[i : i + 1], y[i]) for i in range(len(x))], lambda item: item[0])

        def validate(compiled, data) -> float:
            hits = [int(np.argmax(compiled(xi)[0], axis=1)[0] == yi) for xi, yi in data]
            return float(np.mean(hits))

        quantized = nncf.quantize_with_accuracy_control(
            model, dataset, val, validation_fn=validate, max_drop=max_drop, subset_size=subset
        )
    return save_ir(quantized, dest_xml)


def resave_ir(src_xml: Path, dest_xml: Path, fp16: bool) -> Path:
    """An IR written again (FP16 weights when asked) under `dest_xml`."""
    import openvino as ov

    return save_ir(ov.Core().read_model(str(src_xml)), dest_xml, fp16)


def convert_exported(program, output_names: list[str], dest_xml: Path) -> Path:
    """OpenVINO IR from a `torch.export` ExportedProgram (the PyTorch frontend reads its FX
    graph directly: no TorchScript tracing, which an exported module's graph refuses)."""
    import openvino as ov

    try:
        model = ov.convert_model(program)
    except Exception as exc:
        raise BadInput(
            f"OpenVINO cannot convert the exported PyTorch program "
            f"({str(exc).splitlines()[0][:300]})"
        ) from None
    if len(model.outputs) != len(output_names):
        raise BadInput(
            f"the PyTorch program has {len(model.outputs)} outputs, expected {output_names}"
        )
    for output, name in zip(model.outputs, output_names, strict=True):
        output.get_tensor().set_names({name})
    return save_ir(model, dest_xml)
