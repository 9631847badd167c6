"""Load a candidate with its own runtime and predict: ONNX Runtime, OpenVINO or TensorRT.

One interface for every consumer (accuracy scoring, latency benchmark, gateway, canary
pre-flight): `load_candidate(bundle_dir, candidate).predict(x) -> {"label", "probabilities"}`
for classifiers (a graph cut at the probabilities gets `label` as their argmax), or the
model's named outputs otherwise. Nothing is unpickled: ONNX and OpenVINO IR only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slipway.core.manifest import Candidate
from slipway.errors import BadInput, Unavailable


@dataclass
class Predictor:
    runtime: str
    input_name: str
    output_names: list[str]
    _run: Any = field(repr=False)

    def predict(self, x) -> dict[str, Any]:
        """`x`: the float32 [N, F] array for `input`, or a dict of named inputs (e.g. input_ids,
        attention_mask)."""
        import numpy as np

        outputs = dict(zip(self.output_names, self._run(x), strict=True))
        if "probabilities" in outputs and "label" not in outputs:
            outputs["label"] = np.argmax(outputs["probabilities"], axis=1).astype(np.int64)
        return outputs


def resolve_inside(base: Path, relative: str) -> Path:
    """`base / relative`, refusing anything that resolves outside `base` (.., absolute,
    symlinks)."""
    base = base.resolve()
    path = (base / relative).resolve()
    if base != path and base not in path.parents:
        raise BadInput(f"{relative!r} resolves outside {base}: refusing to load it")
    if not path.is_file():
        raise BadInput(f"{path}: no such model file")
    return path


def _feed(x, input_name: str) -> dict:
    return x if isinstance(x, dict) else {input_name: x}


def onnx_session(path: Path, threads: int | None = None, spin: bool = True):
    """`spin=False`: idle intra-op threads sleep instead of spinning (for a server, whose
    event loop shares the CPUs with them; spinning suits a dedicated benchmark)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise BadInput(
            f"{path}: ONNX Runtime cannot load it ({str(exc).splitlines()[0][:300]})"
        ) from None


def load_onnx(path: Path, threads: int | None = None, spin: bool = True) -> Predictor:
    session = onnx_session(path, threads, spin)
    input_name = session.get_inputs()[0].name
    names = [o.name for o in session.get_outputs()]
    return Predictor(
        "onnxruntime", input_name, names, lambda x: session.run(names, _feed(x, input_name))
    )


def load_openvino(
    path: Path,
    threads: int | None = None,
    precision: str | None = None,
    shapes: dict[str, list[int]] | None = None,
) -> Predictor:
    """`precision` fp32/fp16 pins f32 execution (CPUs with AMX/BF16 otherwise default to bf16).
    `shapes` (input name -> static shape) compiles the model for that one serving shape, which
    lets the CPU plugin pick shape-specialised kernels; other shapes then fail at inference."""
    import openvino as ov

    core = ov.Core()
    config = {"INFERENCE_NUM_THREADS": threads} if threads else {}
    config["PERFORMANCE_HINT"] = "LATENCY"
    if precision in ("fp32", "fp16"):
        config["INFERENCE_PRECISION_HINT"] = "f32"
    try:
        model = core.read_model(str(path))
    except Exception as exc:
        raise BadInput(
            f"{path}: OpenVINO cannot load it ({str(exc).splitlines()[0][:300]})"
        ) from None
    if shapes:
        static_shapes(model, shapes, path)
    try:
        compiled = core.compile_model(model, "CPU", config)
    except Exception as exc:
        raise BadInput(
            f"{path}: OpenVINO cannot load it ({str(exc).splitlines()[0][:300]})"
        ) from None
    request = compiled.create_infer_request()
    input_name = compiled.inputs[0].get_any_name()
    outputs = list(compiled.outputs)
    names = [o.get_any_name() for o in outputs]

    def run(x):
        result = request.infer(x if isinstance(x, dict) else {0: x})
        return [result[o].copy() for o in outputs]

    return Predictor("openvino", input_name, names, run)


def static_shapes(model, shapes: dict[str, list[int]], path: Path) -> None:
    """Reshape an OpenVINO model's inputs to static shapes, naming what does not fit."""
    import openvino as ov

    names = {name for port in model.inputs for name in port.get_names()}
    unknown = sorted(set(shapes) - names)
    if unknown:
        raise BadInput(
            f"{path}: no input named {', '.join(unknown)} (inputs: {', '.join(sorted(names))})"
        )
    for port in model.inputs:
        name = next((n for n in port.get_names() if n in shapes), None)
        if name is not None and not port.get_partial_shape().compatible(
            ov.PartialShape(list(shapes[name]))
        ):
            raise BadInput(
                f"{path}: input {name} has shape {port.get_partial_shape()}, "
                f"which cannot be fixed to {list(shapes[name])}"
            )
    model.reshape({name: list(shape) for name, shape in shapes.items()})


TRT_ENGINE_CACHE = "trt-cache"
"""Folder next to the model where ONNX Runtime's TensorRT provider caches the FP16 engine."""


def tensorrt_availability() -> str:
    """'' when a TensorRT FP16 engine can be built and run here, else why not.

    TensorRT 11 removed `BuilderFlag.FP16`; ONNX Runtime's TensorRT provider with
    `trt_fp16_enable` builds the FP16 engine and hands operators TensorRT lacks (e.g.
    ai.onnx.ml) to CUDA/CPU. Without a CUDA device the reason comes from slipway.accel.
    """
    from slipway.accel import tensorrt_status

    status = tensorrt_status()
    if not status.tensorrt:
        return status.reason
    import onnxruntime as ort

    if "TensorrtExecutionProvider" not in ort.get_available_providers():
        return (
            "ONNX Runtime's TensorrtExecutionProvider is not installed (onnxruntime-gpu with "
            "TensorRT); the tensorrt package alone cannot build FP16 engines in TensorRT 11"
        )
    return ""


def tensorrt_provider_options(model_dir: Path) -> dict[str, str]:
    return {
        "trt_fp16_enable": "True",
        "trt_engine_cache_enable": "True",
        "trt_engine_cache_path": str(model_dir / TRT_ENGINE_CACHE),
    }


def tensorrt_session(path: Path, threads: int | None = None):
    """An ONNX Runtime session on the TensorRT provider (FP16 engine cached next to the model)."""
    import onnxruntime as ort

    reason = tensorrt_availability()
    if reason:
        raise Unavailable(reason)
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    providers = [
        ("TensorrtExecutionProvider", tensorrt_provider_options(path.parent)),
        "CUDAExecutionProvider",
        "CPUExecutionProvider",
    ]
    return ort.InferenceSession(str(path), sess_options=options, providers=providers)


def load_tensorrt(path: Path, threads: int | None = None, name: str = "tensorrt") -> Predictor:
    """An ONNX model run by ONNX Runtime's TensorRT provider (FP16 engine cached next to it)."""
    try:
        sess = tensorrt_session(path, threads)
    except Unavailable as exc:
        raise Unavailable(f"candidate {name}: {exc}") from None
    input_name = sess.get_inputs()[0].name
    names = [o.name for o in sess.get_outputs()]
    return Predictor("tensorrt", input_name, names, lambda x: sess.run(names, _feed(x, input_name)))


def load_candidate(
    bundle_dir: str | Path, candidate: Candidate, threads: int | None = None, spin: bool = True
) -> Predictor:
    """Load one candidate of a manifest with its runtime (`spin`: see `onnx_session`)."""
    if not candidate.path:
        raise BadInput(f"candidate {candidate.name} has no model file (status {candidate.status})")
    path = resolve_inside(Path(bundle_dir), candidate.path)
    if candidate.runtime == "onnxruntime":
        return load_onnx(path, threads, spin)
    if candidate.runtime == "openvino":
        return load_openvino(path, threads, candidate.precision)
    if candidate.runtime == "tensorrt":
        return load_tensorrt(path, threads, candidate.name)
    raise BadInput(
        f"candidate {candidate.name}: runtime {candidate.runtime!r} cannot serve (ONNX Runtime, "
        "OpenVINO or TensorRT only)"
    )
