"""What to measure and on what: the candidate manifest (or one built for a single model file)
and the input rows (eval data, else random data shaped by the features)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slipway.core.manifest import MANIFEST_FILE, Candidate, Manifest
from slipway.errors import BadInput

RANDOM_ROWS = 256


@dataclass
class Target:
    manifest: Manifest
    bundle_dir: Path
    manifest_path: Path | None
    """The manifest.json to write the result back to (None for a single model file)."""


def load_target(path: str | Path) -> Target:
    """A candidate directory (with manifest.json) or one .onnx / OpenVINO .xml file."""
    path = Path(path).expanduser()
    if path.is_dir():
        manifest_path = path / MANIFEST_FILE
        if not manifest_path.is_file():
            raise BadInput(
                f"{path}: no {MANIFEST_FILE} in this directory: give a candidate directory made by "
                "convert-and-quantize or a single .onnx / .xml model file"
            )
        try:
            manifest = Manifest.model_validate_json(manifest_path.read_text())
        except ValueError as exc:
            raise BadInput(f"{manifest_path}: not a valid candidate manifest ({str(exc).splitlines()[0]})") from None
        return Target(manifest, path.resolve(), manifest_path.resolve())
    if path.is_file():
        return Target(single_file_manifest(path), path.parent.resolve(), None)
    raise BadInput(f"{path}: no such file or directory: give a candidate directory or a model file")


def single_file_manifest(path: Path) -> Manifest:
    """A one-candidate manifest for an .onnx or OpenVINO .xml file; the file must load."""
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        candidate = Candidate(name="onnx-model", format="onnx", runtime="onnxruntime", path=path.name,
                              files=[path.name], size_bytes=path.stat().st_size, status="accepted")
    elif suffix == ".xml":
        files = [path.name] + ([path.with_suffix(".bin").name] if path.with_suffix(".bin").is_file() else [])
        size = sum((path.parent / f).stat().st_size for f in files)
        candidate = Candidate(name="openvino-model", format="openvino-ir", runtime="openvino", path=path.name,
                              files=files, size_bytes=size, status="accepted")
    else:
        raise BadInput(f"{path}: not a model slipway can benchmark: give an .onnx or OpenVINO .xml file "
                       "or a candidate directory")
    from slipway.runtimes import load_candidate

    predictor = load_candidate(path.parent, candidate)  # raises BadInput naming the file when it does not load
    n_features = input_width(path, candidate.runtime)
    return Manifest(
        source={"kind": candidate.format, "path": path.name},
        input_name=predictor.input_name,
        output_names=predictor.output_names,
        feature_names=[f"f{i}" for i in range(n_features)] if n_features else [],
        candidates=[candidate],
    )


def input_width(path: Path, runtime: str) -> int | None:
    """The fixed feature count of a [N, F] input, or None when it is dynamic."""
    if runtime == "onnxruntime":
        import onnx

        dims = onnx.load(str(path), load_external_data=False).graph.input[0].type.tensor_type.shape.dim
        last = dims[-1] if len(dims) == 2 else None
        return last.dim_value if last is not None and last.dim_value > 0 else None
    import openvino as ov

    shape = ov.Core().read_model(str(path)).inputs[0].get_partial_shape()
    return shape[1].get_length() if shape.rank.get_length() == 2 and shape[1].is_static else None


def input_rows(manifest: Manifest, eval_data: str | None, seed: int = 0):
    """float32 [N, F]: the eval data's feature columns, else random rows of the manifest's width."""
    import numpy as np

    if eval_data:
        from slipway.data import read_table

        frame = read_table(eval_data)
        if manifest.feature_names:
            missing = [c for c in manifest.feature_names if c not in frame.columns]
            if missing and not all(c.startswith("f") and c[1:].isdigit() for c in manifest.feature_names):
                raise BadInput(f"{eval_data}: columns {missing[:5]} of the model's features are missing")
            if not missing:
                frame = frame[manifest.feature_names]
        if manifest.target_column and manifest.target_column in frame.columns:
            frame = frame.drop(columns=[manifest.target_column])
        rows = frame.select_dtypes("number").to_numpy(dtype=np.float32)
        if len(rows) == 0:
            raise BadInput(f"{eval_data}: no rows to benchmark with")
        if manifest.feature_names and rows.shape[1] != len(manifest.feature_names):
            raise BadInput(f"{eval_data}: {rows.shape[1]} numeric columns, the model takes "
                           f"{len(manifest.feature_names)}: give the eval data of this model")
        return rows
    if not manifest.feature_names:
        raise BadInput("the model's input width is dynamic and the manifest names no features: "
                       "pass --eval-data with rows to benchmark on")
    rng = np.random.default_rng(seed)
    return rng.standard_normal((RANDOM_ROWS, len(manifest.feature_names))).astype(np.float32)
