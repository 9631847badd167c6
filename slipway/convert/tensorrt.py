"""TensorRT FP16 through ONNX Runtime's TensorRT execution provider (CUDA only).

TensorRT 11 removed `BuilderFlag.FP16`; ONNX Runtime's TensorRT provider with
`trt_fp16_enable` builds the FP16 engine (cached next to the model) and hands operators
TensorRT lacks (e.g. ai.onnx.ml) to CUDA/CPU. Without a CUDA device the candidate is
`unavailable` with slipway.accel's reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from slipway.errors import Unavailable

ENGINE_CACHE = "trt-cache"


def availability() -> str:
    """'' when a TensorRT FP16 engine can be built here, else why not."""
    from slipway.accel import tensorrt_status

    status = tensorrt_status()
    if not status.tensorrt:
        return status.reason
    import onnxruntime as ort

    if "TensorrtExecutionProvider" not in ort.get_available_providers():
        return (
            "ONNX Runtime's TensorrtExecutionProvider is not installed (onnxruntime-gpu with TensorRT); "
            "the tensorrt package alone cannot build FP16 engines in TensorRT 11"
        )
    return ""


def provider_options(model_dir: Path) -> dict[str, str]:
    return {
        "trt_fp16_enable": "True",
        "trt_engine_cache_enable": "True",
        "trt_engine_cache_path": str(model_dir / ENGINE_CACHE),
    }


def session(path: Path, threads: int | None = None):
    import onnxruntime as ort

    reason = availability()
    if reason:
        raise Unavailable(reason)
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    providers = [
        ("TensorrtExecutionProvider", provider_options(path.parent)),
        "CUDAExecutionProvider",
        "CPUExecutionProvider",
    ]
    return ort.InferenceSession(str(path), sess_options=options, providers=providers)


def build_fp16(src: Path, dest: Path, sample) -> Path:
    """Copy the ONNX model and build (and cache) its FP16 engine by running one batch."""
    reason = availability()
    if reason:
        raise Unavailable(reason)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    sess = session(dest)
    sess.run(None, {sess.get_inputs()[0].name: sample})
    return dest
