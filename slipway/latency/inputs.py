"""What to measure and on what: the candidate manifest (or one built for a single model file)
and the input rows (eval data, else random data shaped by the features).

A model whose inputs are not one float [N, F] tensor (a transformer encoder's int64
`input_ids` + `attention_mask`) is fed a structured array, one field per named input,
synthesized from the model's input signature: valid token ids below the vocabulary size
read from the embedding, an all-ones attention mask, zero token types."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slipway.core.layout import MANIFEST
from slipway.core.manifest import Candidate, Manifest
from slipway.errors import BadInput

RANDOM_ROWS = 256
DEFAULT_SEQ_LEN = 128
"""Length used for a dynamic non-batch dimension (e.g. the sequence) of a synthesized input."""
FALLBACK_VOCAB = 1000
"""Token ids are drawn below this when the vocabulary size cannot be read from the graph."""


@dataclass(frozen=True)
class InputSpec:
    name: str
    dtype: str
    """numpy dtype name: float32, int64, ..."""
    shape: tuple[int | None, ...]
    """None for a dynamic dimension."""


@dataclass
class Target:
    manifest: Manifest
    bundle_dir: Path
    manifest_path: Path | None
    """The manifest to write the selection back to (None for a single model file)."""


def load_target(path: str | Path) -> Target:
    """A candidate directory (with manifest.json) or one .onnx / OpenVINO .xml file."""
    path = Path(path).expanduser()
    if path.is_dir():
        from slipway.layout import read_manifest

        manifest = read_manifest(
            path,
            hint="give a candidate directory made by convert-and-quantize "
            "or a single .onnx / .xml model file",
        )
        return Target(manifest, path.resolve(), (path / MANIFEST).resolve())
    if path.is_file():
        return Target(single_file_manifest(path), path.parent.resolve(), None)
    raise BadInput(f"{path}: no such file or directory: give a candidate directory or a model file")


def single_file_manifest(path: Path) -> Manifest:
    """A one-candidate manifest for an .onnx or OpenVINO .xml file; the file must load."""
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        candidate = Candidate(
            name="onnx-model",
            format="onnx",
            runtime="onnxruntime",
            path=path.name,
            files=[path.name],
            size_bytes=path.stat().st_size,
            status="accepted",
        )
    elif suffix == ".xml":
        files = [path.name] + (
            [path.with_suffix(".bin").name] if path.with_suffix(".bin").is_file() else []
        )
        size = sum((path.parent / f).stat().st_size for f in files)
        candidate = Candidate(
            name="openvino-model",
            format="openvino-ir",
            runtime="openvino",
            path=path.name,
            files=files,
            size_bytes=size,
            status="accepted",
        )
    else:
        raise BadInput(
            f"{path}: not a model slipway can benchmark: give an .onnx or OpenVINO .xml file "
            "or a candidate directory"
        )
    from slipway.runtimes import load_candidate

    predictor = load_candidate(
        path.parent, candidate
    )  # raises BadInput naming the file when it does not load
    n_features = input_width(path, candidate.runtime)
    return Manifest(
        source={"kind": candidate.format, "path": path.name},
        input_name=predictor.input_name,
        output_names=predictor.output_names,
        feature_names=[f"f{i}" for i in range(n_features)] if n_features else [],
        candidates=[candidate],
    )


def model_inputs(path: Path, runtime: str) -> list[InputSpec]:
    """The model's input signature (ONNX graph inputs that are not initializers, or OpenVINO
    parameters)."""
    import numpy as np

    if runtime == "onnxruntime":
        import onnx
        from onnx.helper import tensor_dtype_to_np_dtype

        graph = onnx.load(str(path), load_external_data=False).graph
        initializers = {i.name for i in graph.initializer}
        specs = []
        for value in graph.input:
            if value.name in initializers:
                continue
            tensor = value.type.tensor_type
            dims = tuple(d.dim_value if d.dim_value > 0 else None for d in tensor.shape.dim)
            specs.append(
                InputSpec(
                    value.name, np.dtype(tensor_dtype_to_np_dtype(tensor.elem_type)).name, dims
                )
            )
        return specs
    import openvino as ov

    specs = []
    for port in ov.Core().read_model(str(path)).inputs:
        shape = port.get_partial_shape()
        dims = (
            tuple(d.get_length() if d.is_static else None for d in shape)
            if shape.rank.is_static
            else ()
        )
        specs.append(
            InputSpec(port.get_any_name(), np.dtype(port.get_element_type().to_dtype()).name, dims)
        )
    return specs


def needs_named_inputs(specs: list[InputSpec]) -> bool:
    """True unless the model takes exactly one floating-point tensor."""
    import numpy as np

    return len(specs) != 1 or not np.issubdtype(np.dtype(specs[0].dtype), np.floating)


def input_width(path: Path, runtime: str) -> int | None:
    """The fixed feature count of a single float [N, F] input, or None when it is dynamic or the
    model takes other inputs (token ids, several tensors)."""
    specs = model_inputs(path, runtime)
    if needs_named_inputs(specs) or len(specs[0].shape) != 2:
        return None
    return specs[0].shape[1]


def vocab_sizes(path: Path, runtime: str, specs: list[InputSpec]) -> dict[str, int]:
    """Rows of the embedding table each integer input indexes (a Gather on a constant, also through
    DequantizeLinear/Cast, or ORT's fused EmbedLayerNormalization); inputs not found are left
    out."""
    names = {s.name for s in specs}
    found: dict[str, int] = {}
    if runtime == "onnxruntime":
        import onnx

        graph = onnx.load(str(path), load_external_data=False).graph
        tables = {i.name: list(i.dims) for i in graph.initializer}
        producers = {out: node for node in graph.node for out in node.output}

        def rows_of(name: str) -> int | None:
            for _ in range(4):
                if name in tables:
                    return tables[name][0] if tables[name] else None
                node = producers.get(name)
                if node is None or node.op_type not in ("DequantizeLinear", "Cast", "Identity"):
                    return None
                name = node.input[0]
            return None

        for node in graph.node:
            if node.op_type == "Gather" and len(node.input) > 1 and node.input[1] in names:
                ids, table = node.input[1], node.input[0]
            elif (
                node.op_type == "EmbedLayerNormalization"
                and len(node.input) > 2
                and node.input[0] in names
            ):
                ids, table = node.input[0], node.input[2]
            else:
                continue
            rows = rows_of(table)
            if rows and ids not in found:
                found[ids] = rows
        return found
    import openvino as ov

    for op in ov.Core().read_model(str(path)).get_ordered_ops():
        if op.get_type_name() != "Gather":
            continue
        source = op.input_value(1).get_node()
        while source.get_type_name() == "Convert":
            source = source.input_value(0).get_node()
        if source.get_type_name() != "Parameter":
            continue
        ids = next((n for n in source.output(0).get_names() if n in names), None)
        table = op.get_input_partial_shape(0)
        if (
            ids
            and ids not in found
            and table.rank.is_static
            and table.rank.get_length() > 0
            and table[0].is_static
        ):
            found[ids] = table[0].get_length()
    return found


def synthetic_inputs(
    specs: list[InputSpec], vocab: dict[str, int], rows: int = RANDOM_ROWS, seed: int = 0
):
    """A structured array [rows], one field per input (its shape without the batch dimension):
    token ids uniform below the vocabulary, masks all ones, token types zeros, position ids
    0..L-1, floats standard normal. Dynamic non-batch dimensions get DEFAULT_SEQ_LEN."""
    import numpy as np

    rng = np.random.default_rng(seed)
    fields, values = [], {}
    for spec in specs:
        if not spec.shape:
            raise BadInput(
                f"input {spec.name!r} is a scalar: slipway benchmarks batched inputs only"
            )
        tail = tuple(d if d is not None else DEFAULT_SEQ_LEN for d in spec.shape[1:])
        dtype = np.dtype(spec.dtype)
        lowered = spec.name.lower()
        if np.issubdtype(dtype, np.floating):
            value = rng.standard_normal((rows, *tail))
        elif dtype == np.bool_ or "mask" in lowered:
            value = np.ones((rows, *tail))
        elif "token_type" in lowered or "segment" in lowered:
            value = np.zeros((rows, *tail))
        elif "position" in lowered and tail:
            value = np.broadcast_to(np.arange(tail[-1]), (rows, *tail))
        elif np.issubdtype(dtype, np.integer):
            value = rng.integers(0, vocab.get(spec.name, FALLBACK_VOCAB), size=(rows, *tail))
        else:
            raise BadInput(
                f"input {spec.name!r} has dtype {spec.dtype}: slipway cannot synthesize it, "
                "benchmark a model with float or integer inputs"
            )
        fields.append((spec.name, dtype, tail))
        values[spec.name] = value
    out = np.zeros(rows, dtype=fields)
    for name, value in values.items():
        out[name] = value
    return out


def model_file(target: Target) -> tuple[Path, str] | None:
    """(path, runtime) of the first accepted candidate that is an ONNX or OpenVINO file."""
    from slipway.runtimes import resolve_inside

    for candidate in target.manifest.accepted():
        if candidate.path and candidate.runtime in ("onnxruntime", "openvino"):
            return resolve_inside(target.bundle_dir, candidate.path), candidate.runtime
    return None


def benchmark_inputs(target: Target, eval_data: str | None, seed: int = 0):
    """What the workers are fed: `input_rows` for a float [N, F] model; for a model with token ids
    or several inputs (no feature names), a structured array synthesized from its signature."""
    if not target.manifest.feature_names:
        found = model_file(target)
        if found is not None:
            path, runtime = found
            specs = model_inputs(path, runtime)
            if needs_named_inputs(specs):
                if eval_data:
                    raise BadInput(
                        f"{path.name} takes {', '.join(s.name for s in specs)}: --eval-data rows "
                        "cannot "
                        "feed it; leave --eval-data out to benchmark on synthesized inputs"
                    )
                return synthetic_inputs(specs, vocab_sizes(path, runtime, specs), seed=seed)
    return input_rows(target.manifest, eval_data, seed)


def input_rows(manifest: Manifest, eval_data: str | None, seed: int = 0):
    """float32 [N, F]: the eval data's feature columns, else random rows of the manifest's width;
    a tensor model's rows are reshaped to its items, [N, *input_shape] (random ones uniform in
    [0, 1), the range of an image's intensities)."""
    import numpy as np

    rows = _flat_rows(manifest, eval_data, seed)
    if manifest.input_shape is None:
        return rows
    if eval_data is None:
        rows = np.random.default_rng(seed).random(rows.shape, dtype=np.float32)
    return np.ascontiguousarray(rows.reshape(len(rows), *manifest.input_shape))


def _flat_rows(manifest: Manifest, eval_data: str | None, seed: int = 0):
    import numpy as np

    if eval_data:
        from slipway.data import read_table

        frame = read_table(eval_data)
        if manifest.feature_names:
            missing = [c for c in manifest.feature_names if c not in frame.columns]
            if missing and not all(
                c.startswith("f") and c[1:].isdigit() for c in manifest.feature_names
            ):
                raise BadInput(
                    f"{eval_data}: columns {missing[:5]} of the model's features are missing"
                )
            if not missing:
                frame = frame[manifest.feature_names]
        if manifest.target_column and manifest.target_column in frame.columns:
            frame = frame.drop(columns=[manifest.target_column])
        rows = frame.select_dtypes("number").to_numpy(dtype=np.float32)
        if len(rows) == 0:
            raise BadInput(f"{eval_data}: no rows to benchmark with")
        if manifest.feature_names and rows.shape[1] != len(manifest.feature_names):
            raise BadInput(
                f"{eval_data}: {rows.shape[1]} numeric columns, the model takes "
                f"{len(manifest.feature_names)}: give the eval data of this model"
            )
        return rows
    if not manifest.feature_names:
        raise BadInput(
            "the model's input width is dynamic and the manifest names no features: "
            "pass --eval-data with rows to benchmark on"
        )
    rng = np.random.default_rng(seed)
    return rng.standard_normal((RANDOM_ROWS, len(manifest.feature_names))).astype(np.float32)
