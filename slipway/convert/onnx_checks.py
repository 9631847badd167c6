"""ONNX passthrough and checks: safe external data, checker, shape inference, ORT optimization.

External-data locations must resolve to a regular file inside the model's folder: absolute
paths, `..` and symlinks are refused before ONNX reads a byte of them.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from slipway.errors import BadInput


def external_locations(model) -> list[str]:
    from onnx import TensorProto
    from onnx.external_data_helper import _get_all_tensors

    found = []
    for tensor in _get_all_tensors(model):
        if tensor.data_location == TensorProto.EXTERNAL:
            entries = {e.key: e.value for e in tensor.external_data}
            found.append(entries.get("location", ""))
    return found


def check_external_data(model, model_path: Path) -> None:
    """Refuse external-data locations that are absolute, climb with `..`, are symlinks or escape."""
    base = model_path.resolve().parent
    for location in external_locations(model):
        pure = PurePosixPath(location.replace("\\", "/"))
        if (
            not location
            or pure.is_absolute()
            or ".." in pure.parts
            or location.startswith(("/", "\\"))
            or ":" in location
        ):
            raise BadInput(
                f"{model_path}: external-data location {location!r} is outside the model's folder; "
                "keep the data files next to model.onnx with plain relative names"
            )
        candidate = base / pure
        if candidate.is_symlink() or any(
            p.is_symlink() for p in candidate.parents if base in p.parents
        ):
            raise BadInput(
                f"{model_path}: external-data location {location!r} is a symlink; refusing to "
                "follow it"
            )
        resolved = candidate.resolve()
        if base not in resolved.parents or not resolved.is_file():
            raise BadInput(
                f"{model_path}: external-data file {location!r} is missing or outside {base}"
            )


def load_checked(path: Path):
    """Load an ONNX file (external data checked first), run the full checker and shape inference."""
    import onnx
    from onnx.external_data_helper import load_external_data_for_model

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise BadInput(
            f"{path}: not a readable ONNX model ({str(exc).splitlines()[0][:200]}); re-export it"
        ) from None
    check_external_data(model, path)
    if external_locations(model):
        load_external_data_for_model(model, str(path.resolve().parent))
    try:
        onnx.checker.check_model(model, full_check=True)
        model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    except Exception as exc:
        raise BadInput(
            f"{path}: the ONNX checker refuses it ({str(exc).splitlines()[0][:300]})"
        ) from None
    return model


def check_contract(model, path: Path, classifier: bool) -> None:
    """The naming contract every later stage relies on."""
    inputs = [i.name for i in model.graph.input]
    outputs = [o.name for o in model.graph.output]
    if inputs != ["input"]:
        raise BadInput(
            f"{path}: expected one input named 'input' (got {inputs}); re-export with that name"
        )
    if classifier and not {"label", "probabilities"} <= set(outputs):
        raise BadInput(
            f"{path}: a classifier needs outputs 'label' and 'probabilities' (got {outputs})"
        )


def input_width(model) -> int | None:
    dims = model.graph.input[0].type.tensor_type.shape.dim
    return int(dims[-1].dim_value) if len(dims) >= 2 and dims[-1].dim_value else None


def save(model, path: Path) -> Path:
    import onnx

    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def ort_optimize(src: Path, dest: Path) -> Path:
    """ONNX Runtime's offline graph optimization (extended level) written to `dest`."""
    import onnxruntime as ort

    dest.parent.mkdir(parents=True, exist_ok=True)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(dest)
    try:
        ort.InferenceSession(str(src), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise BadInput(
            f"{src}: ONNX Runtime cannot load it ({str(exc).splitlines()[0][:300]})"
        ) from None
    return dest


def canonicalize(path: Path) -> Path:
    """Rewrite an ONNX file in a canonical form: `opset_import` sorted by domain.

    Exporters and ONNX Runtime's optimizer list the operator-set domains in whatever order
    their maps iterate; the order means nothing, but different bytes would give the same model
    a new identity (and a new registry version)."""
    import onnx

    if path.suffix != ".onnx":
        return path
    model = onnx.load(str(path), load_external_data=False)
    current = [(o.domain, o.version) for o in model.opset_import]
    if current == sorted(current):
        return path
    ordered = sorted(model.opset_import, key=lambda o: (o.domain, o.version))
    copies = [onnx.helper.make_opsetid(o.domain, o.version) for o in ordered]
    del model.opset_import[:]
    model.opset_import.extend(copies)
    onnx.save(model, str(path))
    return path
