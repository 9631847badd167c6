"""Everything the candidate builders share: the source model, its FP32 ONNX reference, the data.

Eval data must carry the target column and exactly the features the model was trained on
(count, and names when the model recorded them); calibration data the same features.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from slipway.convert import onnx_checks, sklearn_onnx
from slipway.convert.params import OptimizeParams
from slipway.convert.sources import SourceModel, copy_source, load_source
from slipway.errors import BadInput


@dataclass
class Prepared:
    out: Path
    workdir: Path
    source: SourceModel
    source_meta: dict[str, Any]
    task: str
    reference_onnx: Path
    """Checked FP32 ONNX (contract names, not ORT-optimized): what every candidate starts from."""
    feature_names: list[str]
    x_eval: np.ndarray
    y_eval: np.ndarray
    x_cal: np.ndarray
    source_outputs: dict[str, np.ndarray] = field(repr=False)
    output_names: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    """ref and sha256 fingerprint of the eval (and calibration) data."""
    input_shape: list[int] | None = None
    """A tensor model's item shape: x_eval and x_cal are [N, *input_shape]."""


def candidate_root(params: OptimizeParams) -> Path:
    if params.out:
        out = Path(params.out).expanduser()
    else:
        from slipway.settings import get_settings

        out = (
            get_settings().home_dir / "candidates" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        )
    if out.exists() and any(out.iterdir()):
        raise BadInput(f"--out {out}: the directory is not empty; give a new or empty directory")
    out.mkdir(parents=True, exist_ok=True)
    return out


def expected_width(source: SourceModel, reference) -> int | None:
    if source.framework == "sklearn":
        return sklearn_onnx.n_features(source.model)
    return onnx_checks.input_width(reference) if reference is not None else None


def feature_matrix(frame, features: list[str], what: str) -> np.ndarray:
    try:
        return frame[features].to_numpy(dtype=np.float32)
    except (ValueError, TypeError) as exc:
        raise BadInput(
            f"{what}: features must be numeric ({str(exc).splitlines()[0][:200]})"
        ) from None


def check_columns(
    frame, target: str, source: SourceModel, width: int | None, what: str
) -> list[str]:
    if target not in frame.columns:
        raise BadInput(
            f"{what}: target column {target!r} is missing (columns: "
            f"{', '.join(map(str, frame.columns[:8]))}...)"
        )
    features = [str(c) for c in frame.columns if c != target]
    names = getattr(source.model, "feature_names_in_", None)
    if names is None:  # slipway's train keeps them beside a model fitted on an array
        names = getattr(source.model, "slipway_feature_names_", None)
    if names is not None:
        missing = [n for n in names if n not in features]
        extra = [c for c in features if c not in set(names)]
        if missing or extra:
            raise BadInput(
                f"{what}: columns do not match the model (missing: "
                f"{', '.join(missing[:5]) or '-'}; "
                f"unexpected: {', '.join(extra[:5]) or '-'})"
            )
        return [str(n) for n in names]
    if width is not None and len(features) != width:
        raise BadInput(
            f"{what}: {len(features)} feature columns besides {target!r}, but the model takes "
            f"{width} and records no column names, so the missing or extra one cannot be named; "
            "give the eval data the model was trained on (a model fitted on a DataFrame names "
            "its columns)"
        )
    return features


def as_items(x: np.ndarray, shape: list[int] | None, what: str) -> np.ndarray:
    """Rows of flattened items -> [N, *shape] (unchanged without a shape)."""
    if shape is None:
        return x
    size = int(np.prod(shape))
    if x.shape[1] != size:
        raise BadInput(
            f"{what}: {x.shape[1]} feature columns cannot hold one item of shape {shape} "
            f"({size} values): give the data the model was trained on"
        )
    return np.ascontiguousarray(x.reshape(len(x), *shape))


def check_inputs(params: OptimizeParams) -> None:
    """Before the flow starts: the model (slipway.convert.sources.preflight) and the eval data's
    columns against it (the target present, the model's features named when missing)."""
    from slipway.convert.sources import preflight
    from slipway.data import read_table

    source = preflight(params.model, params.trust_pickle)
    if source is None:
        return
    what = f"eval data {params.eval_data}"
    frame = read_table(params.eval_data)
    if source.framework == "onnx":
        width = onnx_checks.input_width(source.model)
        source = SourceModel(source.kind, source.path, source.origin, "", None)
    elif source.framework == "sklearn":
        width = sklearn_onnx.n_features(source.model)
    else:
        width = None
    check_columns(frame, params.target_column, source, width, what)


def to_reference_onnx(source: SourceModel, path: Path, width: int | list[int]) -> Path:
    if source.framework == "sklearn":
        return sklearn_onnx.to_onnx(source.model, path)
    if source.framework == "torch":
        from slipway.convert.torch_onnx import export_classifier

        return export_classifier(source.model, path, width)
    return onnx_checks.save(onnx_checks.load_checked(source.path), path)


def source_predict(source: SourceModel, reference: Path, x: np.ndarray) -> dict[str, np.ndarray]:
    """The source framework's outputs (for an ONNX source: ONNX Runtime on the given file)."""
    if source.framework == "sklearn":
        return sklearn_onnx.predict(source.model, x)
    if source.framework == "torch":
        from slipway.convert.torch_onnx import predict_classifier

        return predict_classifier(source.model, x)
    from slipway.runtimes import load_onnx

    return load_onnx(reference).predict(x)


def prepare(params: OptimizeParams) -> Prepared:
    from slipway.data import fingerprint, read_table

    out = candidate_root(params)
    workdir = Path(tempfile.mkdtemp(prefix="slipway-convert-"))
    try:
        return _prepare(params, out, workdir, read_table, fingerprint)
    except BaseException:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
        raise


def _prepare(params: OptimizeParams, out: Path, workdir: Path, read_table, fingerprint) -> Prepared:
    source = load_source(params.model, params.trust_pickle, workdir)
    onnx_model = onnx_checks.load_checked(source.path) if source.framework == "onnx" else None
    eval_frame = read_table(params.eval_data)
    features = check_columns(
        eval_frame,
        params.target_column,
        source,
        expected_width(source, onnx_model),
        f"eval data {params.eval_data}",
    )
    shape = params.input_shape
    if shape is not None and source.framework != "torch":
        raise BadInput(
            f"input_shape {shape} is for PyTorch image models; {params.model} is a "
            f"{source.framework} model: leave input_shape out"
        )
    x_eval = as_items(
        feature_matrix(eval_frame, features, f"eval data {params.eval_data}"),
        shape,
        f"eval data {params.eval_data}",
    )
    reference = to_reference_onnx(source, workdir / "reference.onnx", shape or len(features))
    checked = onnx_checks.load_checked(reference)
    task = (
        "regression"
        if source.framework == "sklearn" and sklearn_onnx.task_of(source.model) == "regression"
        else "classification"
    )
    onnx_checks.check_contract(checked, Path(params.model), classifier=task == "classification")
    data = {
        "eval": {
            "ref": params.eval_data,
            "sha256": fingerprint(eval_frame),
            "rows": len(eval_frame),
        }
    }
    if params.calibration_data:
        cal_frame = read_table(params.calibration_data)
        data["calibration"] = {
            "ref": params.calibration_data,
            "sha256": fingerprint(cal_frame),
            "rows": len(cal_frame),
        }
        absent = [f for f in features if f not in cal_frame.columns]
        if absent:
            raise BadInput(
                f"calibration data {params.calibration_data}: missing feature column(s) "
                f"{', '.join(absent[:5])}"
            )
        x_cal = as_items(
            feature_matrix(cal_frame, features, f"calibration data {params.calibration_data}"),
            shape,
            f"calibration data {params.calibration_data}",
        )
    else:
        x_cal = x_eval
    x_cal = x_cal[: params.calibration_rows]
    return Prepared(
        out=out,
        workdir=workdir,
        source=source,
        source_meta=copy_source(source, out),
        task=task,
        reference_onnx=reference,
        feature_names=features,
        x_eval=x_eval,
        y_eval=eval_frame[params.target_column].to_numpy(),
        x_cal=x_cal,
        source_outputs=source_predict(source, reference, x_eval),
        output_names=[o.name for o in checked.graph.output],
        data=data,
        input_shape=shape,
    )
