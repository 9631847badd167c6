"""A small real candidate directory for tests of later stages (bench, register, gateway, canary).

Built with skl2onnx and ONNX Runtime's dynamic quantization directly, so those tests do not
depend on the whole convert-and-quantize stage. Input `input` float32 [N, 64]; outputs
`label` int64 [N] and `probabilities` float32 [N, 10].
"""

from __future__ import annotations

from pathlib import Path

from slipway.core.contract import FeatureSpec, ServingContract
from slipway.core.manifest import MANIFEST_FILE, Accuracy, Candidate, Manifest, Parity


def to_onnx(model, n_features: int, path: Path) -> Path:
    from skl2onnx import to_onnx as skl_to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    onx = skl_to_onnx(
        model,
        initial_types=[("input", FloatTensorType([None, n_features]))],
        options={id(model): {"zipmap": False}} if hasattr(model, "predict_proba") else None,
        target_opset=17,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onx.SerializeToString())
    return path


def contract_for(frame, target_column: str) -> ServingContract:
    features = [
        FeatureSpec(
            name=c, dtype="float32", min=float(frame[c].min()) - 1, max=float(frame[c].max()) + 1
        )
        for c in frame.columns
        if c != target_column
    ]
    return ServingContract(features=features)


def build_candidate_dir(model, reference, target_column: str, out: Path) -> Path:
    """ONNX FP32 and ORT INT8 dynamic candidates, both accepted, with a manifest and a contract."""
    import numpy as np
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from slipway.layout import candidate_identity
    from slipway.runtimes import load_onnx

    features = [c for c in reference.columns if c != target_column]
    fp32 = to_onnx(model, len(features), out / "onnx-fp32" / "model.onnx")
    int8 = out / "ort-int8-dynamic" / "model.onnx"
    int8.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    x = reference[features].to_numpy(dtype=np.float32)
    y = reference[target_column].to_numpy()
    baseline = float((load_onnx(fp32).predict(x)["label"] == y).mean())
    candidates = []
    for name, path in (("onnx-fp32", fp32), ("ort-int8-dynamic", int8)):
        acc = float((load_onnx(path).predict(x)["label"] == y).mean())
        candidates.append(
            Candidate(
                name=name,
                format="onnx",
                runtime="onnxruntime",
                precision="int8" if "int8" in name else "fp32",
                path=path.relative_to(out).as_posix(),
                files=[path.relative_to(out).as_posix()],
                size_bytes=path.stat().st_size,
                parity=Parity(passed=True, top1_agreement=1.0),
                accuracy=Accuracy(
                    metric="accuracy",
                    value=acc,
                    baseline=baseline,
                    drop=baseline - acc,
                    max_drop=0.01,
                    passed=baseline - acc <= 0.01,
                ),
                status="accepted",
            )
        )
        last = candidates[-1]
        last.sha256, last.file_sha256 = candidate_identity(out, last)
    manifest = Manifest(
        source={"kind": "sklearn"},
        output_names=["label", "probabilities"],
        feature_names=features,
        target_column=target_column,
        candidates=candidates,
    )
    (out / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2))
    (out / "serving_contract.json").write_text(
        contract_for(reference, target_column).model_dump_json(indent=2)
    )
    return out
