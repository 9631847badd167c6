"""Models fed token ids (a transformer's input_ids + attention_mask): inputs synthesized from the
signature."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from slipway.errors import BadInput
from slipway.latency.harness import run_worker, worker_specs
from slipway.latency.inputs import (
    DEFAULT_SEQ_LEN,
    benchmark_inputs,
    load_target,
    model_inputs,
    vocab_sizes,
)
from slipway.latency.worker import batch_of

VOCAB, HIDDEN, SEQ = 50, 4, 16


def encoder(path, seq=SEQ, quantized_table=False):
    """input_ids, attention_mask int64 [batch, seq] -> embeddings * mask, float32 [batch, seq,
    hidden]."""
    table = np.random.default_rng(0).standard_normal((VOCAB, HIDDEN)).astype(np.float32)
    nodes, inits = [], []
    if quantized_table:
        inits += [
            numpy_helper.from_array((table * 10).astype(np.int8), "table_q"),
            numpy_helper.from_array(np.array(0.1, np.float32), "scale"),
        ]
        nodes.append(helper.make_node("DequantizeLinear", ["table_q", "scale"], ["table"]))
    else:
        inits.append(numpy_helper.from_array(table, "table"))
    inits.append(numpy_helper.from_array(np.array([-1], np.int64), "last"))
    nodes += [
        helper.make_node("Gather", ["table", "input_ids"], ["emb"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "last"], ["mask3"]),
        helper.make_node("Mul", ["emb", "mask3"], ["last_hidden_state"]),
    ]
    dims = ["batch", seq if seq else "seq"]
    graph = helper.make_graph(
        nodes,
        "tiny-encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, dims),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dims),
        ],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [*dims, HIDDEN])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def test_a_token_model_file_gets_no_float_features(tmp_path):
    target = load_target(encoder(tmp_path / "enc.onnx"))
    assert target.manifest.feature_names == []
    assert [
        (s.name, s.dtype, s.shape) for s in model_inputs(tmp_path / "enc.onnx", "onnxruntime")
    ] == [("input_ids", "int64", (None, SEQ)), ("attention_mask", "int64", (None, SEQ))]


def test_token_inputs_are_valid_ids_and_an_all_ones_mask(tmp_path):
    target = load_target(encoder(tmp_path / "enc.onnx"))
    rows = benchmark_inputs(target, None)
    assert rows.dtype.names == ("input_ids", "attention_mask") and len(rows) == 256
    ids, mask = rows["input_ids"], rows["attention_mask"]
    assert ids.dtype == np.int64 and ids.shape == (256, SEQ)
    assert ids.min() >= 0 and ids.max() < VOCAB and len(np.unique(ids)) > 10
    assert mask.dtype == np.int64 and (mask == 1).all()
    assert np.array_equal(rows, benchmark_inputs(target, None))


def test_a_dynamic_sequence_gets_the_default_length(tmp_path):
    rows = benchmark_inputs(load_target(encoder(tmp_path / "enc.onnx", seq=None)), None)
    assert rows["input_ids"].shape == (256, DEFAULT_SEQ_LEN)


def test_the_vocabulary_is_read_through_a_dequantized_table(tmp_path):
    path = encoder(tmp_path / "enc.onnx", quantized_table=True)
    assert vocab_sizes(path, "onnxruntime", model_inputs(path, "onnxruntime")) == {
        "input_ids": VOCAB
    }


def test_the_vocabulary_is_read_from_an_openvino_ir(tmp_path):
    ov = pytest.importorskip("openvino")
    xml = tmp_path / "enc.xml"
    ov.save_model(ov.convert_model(str(encoder(tmp_path / "enc.onnx"))), str(xml))
    specs = model_inputs(xml, "openvino")
    assert [(s.name, s.dtype) for s in specs] == [
        ("input_ids", "int64"),
        ("attention_mask", "int64"),
    ]
    assert vocab_sizes(xml, "openvino", specs) == {"input_ids": VOCAB}
    assert load_target(xml).manifest.feature_names == []


def test_eval_rows_cannot_feed_a_token_model(tmp_path):
    target = load_target(encoder(tmp_path / "enc.onnx"))
    with pytest.raises(
        BadInput, match="takes input_ids, attention_mask: --eval-data rows cannot feed it"
    ):
        benchmark_inputs(target, str(tmp_path / "eval.csv"))


def test_a_batch_of_structured_rows_is_a_dict_of_named_arrays(tmp_path):
    rows = benchmark_inputs(load_target(encoder(tmp_path / "enc.onnx")), None)
    batch = batch_of(rows, 250, 8)
    assert set(batch) == {"input_ids", "attention_mask"}
    assert batch["input_ids"].shape == (8, SEQ) and batch["input_ids"].flags.c_contiguous
    assert np.array_equal(batch["input_ids"][6:], rows["input_ids"][:2])  # wraps around


@pytest.mark.slow
def test_the_worker_measures_a_token_model(tmp_path):
    target = load_target(encoder(tmp_path / "enc.onnx"))
    inputs = tmp_path / "inputs.npy"
    np.save(inputs, benchmark_inputs(target, None))
    settings = {
        "batch_sizes": [1, 4],
        "threads": [1],
        "duration_s": 0.01,
        "warmup": 2,
        "max_cv": 0.5,
        "max_attempts": 1,
    }
    (spec,) = worker_specs(target.manifest, target.bundle_dir, inputs, settings)
    result = run_worker(spec, timeout_s=120)
    assert result["ok"], result
    assert [b["batch"] for b in result["runs"][0]["batches"]] == [1, 4]


def test_a_worker_reports_its_own_peak_memory_not_its_parents():
    # given a parent holding ~400 MB resident (ru_maxrss would carry that across execve)
    import subprocess
    import sys

    ballast = np.ones(50 * 1024 * 1024)  # float64: 400 MB, touched
    code = "from slipway.latency.worker import peak_rss_mb; print(peak_rss_mb())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    # then the child's figure is its own (a bare interpreter with numpy: well under the ballast)
    assert 1 < float(out) < 200, out
    del ballast
