"""Candidates that misbehave in production although their offline gates passed, built for the
canary tests: ONNX graphs edited with onnx.helper, and a model trained on shuffled labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from slipway.core.manifest import MANIFEST_FILE, Manifest
from tests.support.registry import selected_copy, validation_report

SERVED = "onnx-fp32/model.onnx"


def _reroute_probabilities(model: onnx.ModelProto) -> tuple[onnx.ModelProto, str, str]:
    """A copy whose original `probabilities` output is renamed internally; returns (model, raw,
    input)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    raw = "probabilities_raw"
    for node in model.graph.node:
        node.output[:] = [raw if o == "probabilities" else o for o in node.output]
        node.input[:] = [raw if i == "probabilities" else i for i in node.input]
    return model, raw, model.graph.input[0].name


def relabel(model: onnx.ModelProto, tag: str) -> onnx.ModelProto:
    """The same graph with another sha256 (register-version deduplicates identical artifacts)."""
    copy = onnx.ModelProto.FromString(model.SerializeToString())
    copy.doc_string = f"slipway test candidate {tag}"
    return copy


def erroring(model: onnx.ModelProto, feature: int, threshold: float) -> onnx.ModelProto:
    """Fails at run time (a Reshape to [-1, 11]) when every row has x[:, feature] > threshold:
    single requests with a bright pixel there error, batches of ordinary data do not."""
    model, raw, x = _reroute_probabilities(model)
    g = model.graph
    g.initializer.extend(
        [
            numpy_helper.from_array(np.array([feature], dtype=np.int64), "err_feature"),
            numpy_helper.from_array(np.array(threshold, dtype=np.float32), "err_threshold"),
            numpy_helper.from_array(np.array([10], dtype=np.int64), "err_ten"),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), "err_minus_one"),
        ]
    )
    g.node.extend(
        [
            helper.make_node("Gather", [x, "err_feature"], ["err_column"], axis=1),
            helper.make_node("ReduceMin", ["err_column"], ["err_min"], keepdims=0),
            helper.make_node("Greater", ["err_min", "err_threshold"], ["err_flag_bool"]),
            helper.make_node("Cast", ["err_flag_bool"], ["err_flag"], to=TensorProto.INT64),
            helper.make_node("Unsqueeze", ["err_flag", "err_zero_axis"], ["err_flag_1d"]),
            helper.make_node("Add", ["err_ten", "err_flag_1d"], ["err_width"]),
            helper.make_node("Concat", ["err_minus_one", "err_width"], ["err_shape"], axis=0),
            helper.make_node("Reshape", [raw, "err_shape"], ["probabilities"]),
        ]
    )
    g.initializer.append(numpy_helper.from_array(np.array([0], dtype=np.int64), "err_zero_axis"))
    onnx.checker.check_model(model)
    return model


def slow(model: onnx.ModelProto, size: int = 384, layers: int = 3) -> onnx.ModelProto:
    """Same answers, plus `layers` [size x size] MatMuls per request that depend on the input
    (so nothing is constant-folded) and add exactly zero to the probabilities."""
    model, raw, x = _reroute_probabilities(model)
    g = model.graph
    rng = np.random.default_rng(0)
    g.initializer.extend(
        [
            numpy_helper.from_array(
                (rng.standard_normal((size, size)) * 1e-4).astype(np.float32), "slow_b"
            ),
            numpy_helper.from_array(
                (rng.standard_normal((size, size)) / np.sqrt(size)).astype(np.float32), "slow_c"
            ),
            numpy_helper.from_array(np.array(0.0, dtype=np.float32), "slow_zero"),
        ]
    )
    nodes = [
        helper.make_node("ReduceSum", [x], ["slow_s"], keepdims=1),
        helper.make_node("Mul", ["slow_s", "slow_b"], ["slow_h0"]),
    ]
    for i in range(layers):
        nodes += [
            helper.make_node("MatMul", [f"slow_h{i}", "slow_c"], [f"slow_m{i}"]),
            helper.make_node("Tanh", [f"slow_m{i}"], [f"slow_h{i + 1}"]),
        ]
    nodes += [
        helper.make_node("ReduceMean", [f"slow_h{layers}"], ["slow_r"], keepdims=0),
        helper.make_node("Mul", ["slow_r", "slow_zero"], ["slow_nothing"]),
        helper.make_node("Add", [raw, "slow_nothing"], ["probabilities"]),
    ]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    return model


def shuffled_labels_model(trained, seed: int = 1) -> onnx.ModelProto:
    """An MLP fitted on the training split with its labels shuffled: it passes as a model, it
    has learnt nothing."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from slipway.data import read_table
    from tests.support.candidates import to_onnx

    frame = read_table(trained.data_uris["train"])
    x = frame[trained.feature_names].to_numpy(dtype=np.float32)
    y = np.random.default_rng(seed).permutation(frame[trained.target_column].to_numpy())
    model = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(64,), max_iter=60, random_state=seed)
    )
    model.fit(x, y)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return onnx.load(str(to_onnx(model, x.shape[1], Path(tmp) / "m.onnx")))


def candidate_with(candidate_dir: Path, dest: Path, model: onnx.ModelProto | None = None) -> Path:
    """A selected copy of the shared candidate dir whose served ONNX is `model` (manifest
    updated)."""
    from slipway.store import sha256_file

    def swap(manifest: Manifest) -> None:
        if model is None:
            return
        path = dest / SERVED
        path.write_bytes(model.SerializeToString())
        served = manifest.get("onnx-fp32")
        served.sha256, served.size_bytes = sha256_file(path), path.stat().st_size

    selected_copy(candidate_dir, dest, edit=swap)
    assert (
        Manifest.model_validate_json((dest / MANIFEST_FILE).read_text()).selected().name
        == "onnx-fp32"
    )
    return dest


def register(candidate_dir: Path, name: str, trained, max_regression: float = 1.0) -> str:
    """register-version's real function, with compare-with-champion's real gates (when a champion
    exists); returns the new version number.

    `max_regression` defaults to 1.0 (any accuracy loss allowed, and recorded so in the
    evidence): these candidates exist to misbehave in production although their offline gates
    passed, which is what the canary must catch."""
    import pandas as pd

    from slipway.compare.params import CompareParams
    from slipway.compare.stage import compare
    from slipway.data import read_table
    from tasks.register_version import register_candidate
    from tests.support.candidates import contract_for

    everything = pd.concat(
        [read_table(trained.data_uris[s]) for s in ("train", "eval", "reference")]
    )
    compared = compare(
        CompareParams(
            name=name,
            candidate_dir=str(candidate_dir),
            eval_data=trained.data_uris["eval"],
            target_column=trained.target_column,
            contract=contract_for(everything, trained.target_column),
            max_regression=max_regression,
        )
    )
    result = register_candidate(
        candidate_dir,
        name,
        contract=compared.contract,
        validation_report=validation_report(),
        train_result=trained,
        champion_gates=compared.gates,
    )
    assert result.created
    return result.version


def served_model(candidate_dir: Path) -> onnx.ModelProto:
    return onnx.load(str(candidate_dir / SERVED))
