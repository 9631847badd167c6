"""The CNN served through the gateway: INT8 vs FP32 at batch 1, and the gateway's overhead.

One run, same machine, interleaved rounds. The example CNN (`slipway.train.cnn`, wider
channels with `--channels` so that there is arithmetic for INT8 to save) is trained, exported
as `.pt2` and converted by convert-and-quantize's own builders (ONNX FP32, ORT INT8 static
QDQ per-channel, OpenVINO FP32/INT8 NNCF from the PyTorch frontend). Each candidate is
measured raw (`load_candidate(...).predict` on one `[1, 1, 32, 32]` image in a closed loop,
in-process) and through one gateway serving each candidate as its own registered model
(OIP v2 `infer`, the image as binary FP32 tensor data, closed-loop clients on keep-alive
connections). Reported: requests/s and p50 per candidate and connection count, the
INT8/FP32 ratio raw and through the gateway (the issue's goal: the gateway keeps >= 80% of
the raw ratio at batch 1), and the gateway's per-request overhead (gateway p50 at one
connection minus the raw p50).

    PYTHONPATH=. python bench/serving_cnn.py [--seconds 3] [--rounds 3] [--connections 1,8]
        [--channels 32,64] [--epochs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serving import http_load, median_run, summarize  # noqa: E402

CANDIDATES = ("onnx-fp32", "ort-int8-static", "openvino-fp32", "openvino-int8")


def build(work: Path, channels: tuple[int, int], epochs: int) -> tuple[Path, np.ndarray]:
    """Train, export, convert; a candidate directory with a manifest and the tensor contract."""
    from slipway.convert import stage
    from slipway.convert.params import OptimizeParams
    from slipway.convert.prepare import prepare
    from slipway.core.contract import image_contract
    from slipway.layout import write_contract
    from slipway.train import cnn

    frame = cnn.digits_image_frame()
    x = cnn.to_images(frame, "digit", [1, 32, 32])
    y = frame["digit"].to_numpy()
    net = cnn.fit_cnn(x[:1400], y[:1400], epochs=epochs, seed=0, channels=channels)
    cnn.export_pt2(net, work / "cnn.pt2", [1, 32, 32])
    frame.iloc[1400:].to_parquet(work / "eval.parquet")
    params = OptimizeParams(
        model=str(work / "cnn.pt2"),
        eval_data=str(work / "eval.parquet"),
        target_column="digit",
        input_shape=[1, 32, 32],
        targets=list(CANDIDATES),
        max_accuracy_drop=0.05,
        out=str(work / "candidates"),
    )
    prep = prepare(params)
    base = stage.baseline(prep)
    built = [stage.build_and_score(name, prep, params, base) for name in CANDIDATES]
    for c in built:
        print(f"  {c.name}: {c.status} ({c.reason})", flush=True)
    stage.assemble(prep, params, built)
    write_contract(prep.out, image_contract([1, 32, 32], low=0.0, high=1.0, classes=10))
    stage.discard_workdir(prep)
    return prep.out, x[1400:1401].copy()


def raw(candidate_dir: Path, name: str, x: np.ndarray, seconds: float) -> dict:
    from slipway.layout import read_manifest
    from slipway.runtimes import load_candidate

    predictor = load_candidate(candidate_dir, read_manifest(candidate_dir).get(name), threads=1)
    for _ in range(200):
        predictor.predict(x)
    lat, start = [], time.perf_counter()
    while (now := time.perf_counter()) - start < seconds:
        predictor.predict(x)
        lat.append(time.perf_counter() - now)
    return summarize(np.asarray(lat), seconds, 0)


def binary_request(x: np.ndarray) -> tuple[bytes, dict]:
    from slipway.core.oip import encode_binary

    data = encode_binary(x)
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": "input",
                    "shape": list(x.shape),
                    "datatype": "FP32",
                    "parameters": {"binary_data_size": len(data)},
                }
            ]
        }
    ).encode()
    headers = {
        "Content-Type": "application/octet-stream",
        "Inference-Header-Content-Length": str(len(header)),
    }
    return header + data, headers


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", default="1,8")
    ap.add_argument("--channels", default="32,64")
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    conns = [int(c) for c in args.connections.split(",")]
    channels = tuple(int(c) for c in args.channels.split(","))
    work = Path(tempfile.mkdtemp(prefix="slipway-bench-cnn-"))
    os.environ["SLIPWAY_HOME"] = str(work / "home")
    from slipway.registry import open_registry
    from slipway.serving.testing import free_port, gateway_process
    from tests.e2e.serving.registered import register_bundle

    open_registry()
    print(f"building the CNN (channels {channels}) and its candidates in {work}", flush=True)
    candidate_dir, x = build(work, channels, args.epochs)
    from slipway.layout import read_manifest

    accepted = [c.name for c in read_manifest(candidate_dir).accepted()]
    for name in accepted:
        register_bundle(candidate_dir, f"cnn-{name}", work, candidate=name)
    body, headers = binary_request(x)
    raw_runs = {n: [] for n in accepted}
    gw_runs = {(n, c): [] for n in accepted for c in conns}
    port = free_port()
    gw_args = ["--no-auth", "--no-access-log", "--threads", "1"]
    with gateway_process(
        [f"cnn-{n}" for n in accepted], port=port, extra_args=gw_args, ready_timeout_s=120
    ):
        for r in range(args.rounds):
            for name in accepted:
                raw_runs[name].append(raw(candidate_dir, name, x, args.seconds))
                for c in conns:
                    path = f"/v2/models/cnn-{name}/infer"
                    gw_runs[(name, c)].append(
                        http_load(port, path, body, headers, c, args.seconds, warmup_s=0.5)
                    )
            print(f"  round {r + 1}/{args.rounds} done", flush=True)
    report(accepted, conns, raw_runs, gw_runs, args, channels)


def report(accepted, conns, raw_runs, gw_runs, args, channels) -> None:
    raws = {n: median_run(v) for n, v in raw_runs.items()}
    gws = {k: median_run(v) for k, v in gw_runs.items()}
    print(
        f"\nCNN {channels}, batch 1, {args.rounds} interleaved rounds of {args.seconds:g} s "
        "(median round)\n"
    )
    print(
        "| candidate | raw req/s | raw p50 ms | "
        + " | ".join(f"gateway {c} conn req/s | p50 ms" for c in conns)
        + " | gateway overhead p50 ms (1 conn) | errors |"
    )
    print("|---|---|---|" + "---|---|" * len(conns) + "---|---|")
    for n in accepted:
        cells = " | ".join(f"{gws[(n, c)]['rps']:.0f} | {gws[(n, c)]['p50_ms']:.3f}" for c in conns)
        overhead = gws[(n, conns[0])]["p50_ms"] - raws[n]["p50_ms"]
        errors = sum(gws[(n, c)]["errors"] for c in conns)
        print(
            f"| {n} | {raws[n]['rps']:.0f} | {raws[n]['p50_ms']:.3f} | {cells} | "
            f"{overhead:.3f} | {errors} |"
        )
    fp32 = "onnx-fp32"
    for int8 in [n for n in accepted if "int8" in n]:
        base = "openvino-fp32" if int8.startswith("openvino") and "openvino-fp32" in raws else fp32
        raw_ratio = raws[int8]["rps"] / raws[base]["rps"]
        for c in conns:
            gw_ratio = gws[(int8, c)]["rps"] / gws[(base, c)]["rps"]
            print(
                f"{int8} / {base}: raw x{raw_ratio:.2f}, gateway ({c} conn) x{gw_ratio:.2f}: "
                f"the gateway keeps {gw_ratio / raw_ratio:.0%} of the raw ratio"
            )


if __name__ == "__main__":
    main()
