"""TensorRT FP16 candidates through ONNX Runtime's TensorRT execution provider (CUDA only).

The session, the provider options and the availability check live in slipway.runtimes (the
gateway and the benchmark load the same candidate); this module builds the candidate: a copy
of the ONNX model whose FP16 engine is built and cached by running one batch. Without a CUDA
device the candidate is `unavailable` with slipway.accel's reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from slipway.errors import Unavailable
from slipway.runtimes import tensorrt_availability, tensorrt_session


def build_fp16(src: Path, dest: Path, sample) -> Path:
    """Copy the ONNX model and build (and cache) its FP16 engine by running one batch."""
    reason = tensorrt_availability()
    if reason:
        raise Unavailable(reason)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    sess = tensorrt_session(dest)
    sess.run(None, {sess.get_inputs()[0].name: sample})
    return dest
