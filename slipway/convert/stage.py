"""Build, score and gate each candidate; write the manifest.

Every candidate is scored through `slipway.runtimes.load_candidate` (the same loader the
benchmark and the gateway use): parity against the source framework's outputs and accuracy
against the FP32 ONNX reference on the labelled eval data. A builder that raises gives
status `failed` (or `unavailable` for a missing device) with the reason; a gate that misses
gives `rejected` with the reason.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from slipway.convert import onnx_checks, openvino_ir, ort_quant, tensorrt
from slipway.convert.params import OptimizeParams
from slipway.convert.prepare import Prepared
from slipway.core import accuracy as acc
from slipway.core import parity as par
from slipway.core.manifest import Candidate, Manifest
from slipway.errors import GateFailed, SlipwayError, Unavailable

log = logging.getLogger(__name__)

KIND = {  # name -> (format, runtime, precision)
    "onnx-fp32": ("onnx", "onnxruntime", "fp32"),
    "ort-int8-dynamic": ("onnx", "onnxruntime", "int8"),
    "ort-int8-static": ("onnx", "onnxruntime", "int8"),
    "openvino-fp32": ("openvino-ir", "openvino", "fp32"),
    "openvino-fp16": ("openvino-ir", "openvino", "fp16"),
    "openvino-int8": ("openvino-ir", "openvino", "int8"),
    "tensorrt-fp16": ("onnx", "tensorrt", "fp16"),
}


def build_file(name: str, prep: Prepared, params: OptimizeParams) -> Path:
    """Write one candidate's model under `<out>/<name>/`; return its main file."""
    dest = prep.out / name
    src = prep.reference_onnx
    classifier = prep.task == "classification"
    if name == "onnx-fp32":
        return onnx_checks.ort_optimize(src, dest / "model.onnx")
    if name == "ort-int8-dynamic":
        return ort_quant.quantize_dynamic_int8(src, dest / "model.onnx", prep.workdir)
    if name == "ort-int8-static":
        return ort_quant.quantize_static_qdq(
            src, dest / "model.onnx", {"input": prep.x_cal}, prep.workdir
        )
    if name == "tensorrt-fp16":
        return tensorrt.build_fp16(src, dest / "model.onnx", prep.x_eval[:1])
    if torch_frontend(prep):
        fp32_ir = torch_ir(prep)
        if name in ("openvino-fp32", "openvino-fp16"):
            return openvino_ir.resave_ir(fp32_ir, dest / "model.xml", fp16=name.endswith("16"))
    else:
        ready = openvino_ir.openvino_ready(src, prep.workdir / "openvino-ready.onnx", classifier)
        if name == "openvino-fp32":
            return openvino_ir.convert_ir(ready, dest / "model.xml", fp16=False)
        if name == "openvino-fp16":
            return openvino_ir.convert_ir(ready, dest / "model.xml", fp16=True)
        fp32_ir = openvino_ir.convert_ir(
            ready, prep.workdir / "openvino-int8-src" / "model.xml", fp16=False
        )
    validation = (prep.x_eval, prep.y_eval) if params.accuracy_control and classifier else None
    return openvino_ir.quantize_int8(
        fp32_ir,
        dest / "model.xml",
        prep.x_cal,
        params.nncf_subset_size,
        validation,
        params.max_accuracy_drop,
    )


def torch_frontend(prep: Prepared) -> bool:
    """A PyTorch image classifier goes to OpenVINO through its PyTorch frontend."""
    return (
        prep.source.framework == "torch"
        and prep.input_shape is not None
        and prep.task == "classification"
    )


def torch_ir(prep: Prepared) -> Path:
    """The FP32 IR of the PyTorch source (softmax appended), converted once per run."""
    from slipway.convert.torch_onnx import export_probabilities

    xml = prep.workdir / "openvino-torch" / "model.xml"
    if not xml.is_file():
        program = export_probabilities(prep.source.model, prep.x_eval[:2])
        openvino_ir.convert_exported(program, ["probabilities"], xml)
    return xml


def describe_files(name: str, main: Path, out: Path) -> Candidate:
    from slipway.layout import candidate_identity

    fmt, runtime, precision = KIND[name]
    files = sorted(p for p in main.parent.rglob("*") if p.is_file())
    candidate = Candidate(
        name=name,
        format=fmt,
        runtime=runtime,
        precision=precision,
        path=main.relative_to(out).as_posix(),
        files=[p.relative_to(out).as_posix() for p in files],
        size_bytes=main.stat().st_size,
        status="failed",
        reason="not scored yet",
    )
    candidate.sha256, candidate.file_sha256 = candidate_identity(out, candidate)
    return candidate


def predict(prep: Prepared, candidate: Candidate) -> dict[str, np.ndarray]:
    from slipway.runtimes import load_candidate

    return load_candidate(prep.out, candidate).predict(prep.x_eval)


def metric_of(
    prep: Prepared, outputs: dict[str, np.ndarray]
) -> tuple[str, float, dict[str, float]]:
    if prep.task == "classification":
        labels = outputs["label"]
        return (
            "accuracy",
            acc.accuracy(prep.y_eval, labels),
            {"f1_macro": acc.f1_macro(prep.y_eval, labels)},
        )
    return "mae", acc.mae(prep.y_eval, outputs["variable"]), {}


def baseline(prep: Prepared) -> float:
    """The FP32 ONNX reference's metric on the eval data (the accuracy gate's baseline)."""
    from slipway.runtimes import load_onnx

    return metric_of(prep, load_onnx(prep.reference_onnx).predict(prep.x_eval))[1]


def parity_of(prep: Prepared, outputs: dict[str, np.ndarray], tol: par.Tolerances):
    if prep.task == "classification":
        return par.compare_classifier(prep.source_outputs, outputs, tol)
    return par.compare_regressor(
        prep.source_outputs["variable"],
        outputs["variable"].reshape(prep.source_outputs["variable"].shape),
        tol,
    )


def score(candidate: Candidate, prep: Prepared, params: OptimizeParams, base: float) -> Candidate:
    outputs = predict(prep, candidate)
    tol = par.tolerances_for(
        candidate.precision, par.Tolerances(max_abs_error=params.parity_max_abs_error)
    )
    candidate.parity = parity_of(prep, outputs, tol)
    metric, value, evidence = metric_of(prep, outputs)
    candidate.accuracy = acc.gate(metric, value, base, params.max_accuracy_drop, **evidence)
    failures = []
    if not candidate.parity.passed:
        failures.append(par.describe_failure(candidate.parity))
    if not candidate.accuracy.passed:
        failures.append(acc.describe_failure(candidate.accuracy))
    candidate.status = "rejected" if failures else "accepted"
    candidate.reason = (
        "; ".join(failures)
        if failures
        else (f"{metric} {value:.4f} (FP32 {base:.4f}), parity passed")
    )
    return candidate


def build_and_score(name: str, prep: Prepared, params: OptimizeParams, base: float) -> Candidate:
    fmt, runtime, precision = KIND[name]
    try:
        main = onnx_checks.canonicalize(build_file(name, prep, params))
        candidate = describe_files(name, main, prep.out)
    except Unavailable as exc:
        return Candidate(
            name=name,
            format=fmt,
            runtime=runtime,
            precision=precision,
            status="unavailable",
            reason=f"unavailable: {exc}",
        )
    except Exception as exc:  # a backend refusing the model: record why, as the candidate's status
        log.warning("candidate %s failed: %s", name, exc)
        first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        prefix = "" if isinstance(exc, SlipwayError) else f"{type(exc).__name__}: "
        return Candidate(
            name=name,
            format=fmt,
            runtime=runtime,
            precision=precision,
            status="failed",
            reason=f"{prefix}{first}",
        )
    return score(candidate, prep, params, base)


def assemble(prep: Prepared, params: OptimizeParams, candidates: list[Candidate]) -> Manifest:
    manifest = Manifest(
        task=prep.task,
        source=prep.source_meta,
        input_name="input",
        output_names=prep.output_names,
        feature_names=prep.feature_names,
        input_shape=prep.input_shape,
        target_column=params.target_column,
        candidates=candidates,
        max_accuracy_drop=params.max_accuracy_drop,
        data=prep.data,
        eval_rows=int(len(prep.x_eval)),
        calibration_rows=int(len(prep.x_cal)),
    )
    from slipway.layout import write_manifest

    write_manifest(prep.out, manifest)
    return manifest


def discard_workdir(prep: Prepared) -> None:
    """Remove the scratch folder (downloads, reference ONNX, pre-processed graphs)."""
    import shutil

    shutil.rmtree(prep.workdir, ignore_errors=True)


def summary_line(manifest: Manifest) -> str:
    accepted = [c.name for c in manifest.accepted()]
    others = [f"{c.name} {c.status}" for c in manifest.candidates if c.status != "accepted"]
    total = len(manifest.candidates)
    text = f"{len(accepted)}/{total} candidates accepted: {', '.join(accepted) or 'none'}"
    return text + (f" ({'; '.join(others)})" if others else "")


def require_accepted(manifest: Manifest, out: Path) -> None:
    if not manifest.accepted():
        reasons = "; ".join(f"{c.name}: {c.status} ({c.reason})" for c in manifest.candidates)
        raise GateFailed(
            f"convert-and-quantize: no candidate accepted in {out}: {reasons}", manifest
        )
