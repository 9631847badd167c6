"""scikit-learn -> ONNX with skl2onnx: input `input` float32 [N, F], no ZipMap.

Classifiers get outputs `label` int64 [N] and `probabilities` float32 [N, C]; regressors
`variable`. A step with no skl2onnx converter fails with its name and type before converting.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from slipway.errors import BadInput

TARGET_OPSET = 17


def steps_of(model) -> list[tuple[str, object]]:
    """(name, estimator) for a Pipeline's steps (recursively), else the model itself."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        found = []
        for name, step in model.steps:
            if step in (None, "passthrough"):
                continue
            inner = steps_of(step)
            found.extend(
                (f"{name}.{n}" if isinstance(step, Pipeline) else name, s) for n, s in inner
            )
        return found
    return [(type(model).__name__, model)]


def unsupported_steps(model) -> list[str]:
    from skl2onnx._supported_operators import sklearn_operator_name_map

    return [
        f"{name} ({type(step).__module__}.{type(step).__name__})"
        for name, step in steps_of(model)
        if type(step) not in sklearn_operator_name_map
    ]


def named_column_selectors(model) -> list[str]:
    """Columns a ColumnTransformer inside `model` picks by name (string keys)."""
    from sklearn.compose import ColumnTransformer

    names: list[str] = []
    for _, step in steps_of(model):
        if isinstance(step, ColumnTransformer):
            for _, _, columns in step.transformers:
                cols = [columns] if isinstance(columns, str) else list(np.ravel(columns))
                names.extend(str(c) for c in cols if isinstance(c, str))
    return names


def refuse_named_columns(model) -> None:
    """One float32 `input` tensor is the contract: name-selected (mixed dtype) columns are not."""
    named = named_column_selectors(model)
    if named:
        shown = ", ".join(dict.fromkeys(named))
        raise BadInput(
            f"the pipeline's ColumnTransformer selects columns by name ({shown[:200]}); slipway "
            "serves one float32 `input` tensor, so per-column (string/mixed dtype) inputs are "
            "not supported yet: select columns by integer position and encode strings to "
            "numbers before the model"
        )


def task_of(model) -> str:
    return (
        "classification"
        if hasattr(model, "predict_proba") and hasattr(model, "classes_")
        else "regression"
    )


def n_features(model) -> int:
    count = getattr(model, "n_features_in_", None)
    if count is None:
        raise BadInput(
            f"{type(model).__name__}: the model is not fitted (no n_features_in_): fit it first"
        )
    return int(count)


def check_convertible(model) -> None:
    """BadInput naming the first reason `to_onnx` would refuse the model: a step without a
    skl2onnx converter, not fitted."""
    missing = unsupported_steps(model)
    if missing:
        raise BadInput(
            "cannot convert to ONNX: no skl2onnx converter for pipeline step "
            f"{', '.join(missing)}; "
            "replace the step or register a custom converter"
        )
    refuse_named_columns(model)
    n_features(model)


def to_onnx(model, path: Path) -> Path:
    """Convert a fitted estimator/pipeline; fail naming any step without a converter."""
    from skl2onnx import to_onnx as skl_to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    check_convertible(model)
    options = {id(model): {"zipmap": False}} if task_of(model) == "classification" else None
    try:
        onx = skl_to_onnx(
            model,
            initial_types=[("input", FloatTensorType([None, n_features(model)]))],
            options=options,
            target_opset=TARGET_OPSET,
        )
    except Exception as exc:  # skl2onnx raises RuntimeError/NotImplementedError with the type name
        raise BadInput(
            f"cannot convert {type(model).__name__} to ONNX: {str(exc).splitlines()[0][:300]}"
        ) from None
    if task_of(model) == "classification":
        _rename_outputs(onx, {"output_label": "label", "output_probability": "probabilities"})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onx.SerializeToString())
    from slipway.convert.onnx_checks import canonicalize

    return canonicalize(path)


def _rename_outputs(onx, mapping: dict[str, str]) -> None:
    for output in onx.graph.output:
        if output.name in mapping:
            old, new = output.name, mapping[output.name]
            output.name = new
            for node in onx.graph.node:
                node.output[:] = [new if o == old else o for o in node.output]
                node.input[:] = [new if i == old else i for i in node.input]


def predict(model, x: np.ndarray) -> dict[str, np.ndarray]:
    """The source framework's own outputs, named as in the ONNX contract."""
    if task_of(model) == "classification":
        proba = model.predict_proba(x).astype(np.float32)
        return {"label": model.predict(x).astype(np.int64), "probabilities": proba}
    return {"variable": np.asarray(model.predict(x), dtype=np.float32).reshape(len(x), -1)}
