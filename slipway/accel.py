"""Is a CUDA GPU / TensorRT usable here, and if not, why not. Cheap: no CUDA context is created."""

from __future__ import annotations

import glob
import importlib.util
import shutil
from dataclasses import dataclass


@dataclass(frozen=True)
class AccelStatus:
    cuda: bool
    tensorrt: bool
    reason: str
    """Why TensorRT cannot be used ('' when it can)."""


def cuda_device_present() -> tuple[bool, str]:
    if glob.glob("/dev/nvidia[0-9]*"):
        return True, ""
    if shutil.which("nvidia-smi"):
        return False, "no CUDA device: nvidia-smi is installed but /dev/nvidia* is absent"
    return False, "no CUDA device: no /dev/nvidia* and no nvidia-smi on this machine"


def tensorrt_status() -> AccelStatus:
    cuda, reason = cuda_device_present()
    if not cuda:
        return AccelStatus(cuda=False, tensorrt=False, reason=reason)
    has_trt = importlib.util.find_spec("tensorrt") is not None
    trt_ep = False
    try:
        import onnxruntime

        trt_ep = "TensorrtExecutionProvider" in onnxruntime.get_available_providers()
    except ImportError:
        pass
    if has_trt or trt_ep:
        return AccelStatus(cuda=True, tensorrt=True, reason="")
    return AccelStatus(
        cuda=True,
        tensorrt=False,
        reason="CUDA device present but neither the tensorrt package nor ONNX Runtime's "
        "TensorrtExecutionProvider is installed: pip install -e '.[tensorrt]'",
    )
