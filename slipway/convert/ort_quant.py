"""ONNX Runtime INT8: dynamic (weights per channel) and static QDQ with a calibration reader.

Both start from `quant_pre_process` (symbolic shape inference + optimization), its variant chosen
per graph (`variants_for`: an ai.onnx.ml graph skips both at once); transformer
exports can fail symbolic shape inference, so it is retried with `skip_symbolic_shape=True`
(and then without ORT's optimization step, which an ai.onnx.ml graph can trip).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


PRE_PROCESS_VARIANTS = (
    {},
    {"skip_symbolic_shape": True},
    {"skip_symbolic_shape": True, "skip_optimization": True},
)
"""Tried in order: symbolic shape inference fails on transformer exports and on ai.onnx.ml
operators; ORT's optimization can fuse an ai.onnx.ml graph into nodes the quantizer cannot type."""
ML_DOMAIN = "ai.onnx.ml"


def variants_for(src: Path) -> list[dict]:
    """The pre-processing variants to try for this graph, the one expected to work first.

    A graph with `ai.onnx.ml` operators (scikit-learn's Scaler, the classifier's label head)
    makes symbolic shape inference incomplete and ORT's optimizer fuse nodes the quantizer
    cannot type: for it, both are skipped from the start instead of failing twice first."""
    import onnx

    model = onnx.load(str(src), load_external_data=False)
    if any(node.domain == ML_DOMAIN for node in model.graph.node):
        return [PRE_PROCESS_VARIANTS[2], *PRE_PROCESS_VARIANTS[:2]]
    return list(PRE_PROCESS_VARIANTS)


def with_pre_process(src: Path, workdir: Path, tag: str, quantize) -> Path:
    """Run `quantize(prepared_path)` on the first pre-processing variant that works. A variant
    that fails before another works is logged at INFO (nothing for a user to act on); all
    failing raises with every reason."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    errors = []
    src, workdir = src.resolve(), workdir.resolve()
    for i, options in enumerate(variants_for(src)):
        prepared = workdir / f"{tag}-pre{i}.onnx"
        try:
            # in workdir: a failed symbolic shape inference drops sym_shape_infer_temp.onnx in the
            # cwd
            with contextlib.chdir(workdir):
                quant_pre_process(str(src), str(prepared), **options)
            return quantize(prepared)
        except Exception as exc:  # next variant; all failing raises below with every reason
            errors.append(f"{options or 'default'}: {str(exc).splitlines()[0][:150]}")
            log.info(
                "quant_pre_process %s then quantization failed, trying the next variant: %s",
                options or "default",
                errors[-1],
            )
    raise RuntimeError(
        "ORT quantization failed after quant_pre_process retries: " + " | ".join(errors)
    )


def quantize_dynamic_int8(src: Path, dest: Path, workdir: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dest.parent.mkdir(parents=True, exist_ok=True)

    def run(prepared: Path) -> Path:
        quantize_dynamic(str(prepared), str(dest), weight_type=QuantType.QInt8, per_channel=True)
        return dest

    return with_pre_process(src, workdir, "dynamic", run)


class ArrayCalibrationReader:
    """Feeds calibration rows to ORT's static quantizer in small batches."""

    def __init__(self, inputs: dict[str, np.ndarray], batch_size: int = 16) -> None:
        rows = len(next(iter(inputs.values())))
        self._batches = [
            {name: array[start : start + batch_size] for name, array in inputs.items()}
            for start in range(0, rows, batch_size)
        ]
        self._next = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self._next >= len(self._batches):
            return None
        batch = self._batches[self._next]
        self._next += 1
        return batch

    def rewind(self) -> None:
        self._next = 0


def quantize_static_qdq(
    src: Path, dest: Path, calibration: dict[str, np.ndarray], workdir: Path
) -> Path:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    dest.parent.mkdir(parents=True, exist_ok=True)

    def run(prepared: Path) -> Path:
        quantize_static(
            str(prepared),
            str(dest),
            ArrayCalibrationReader(calibration),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"ActivationSymmetric": True},
        )
        return dest

    return with_pre_process(src, workdir, "static", run)
