"""Serving benchmark: raw ONNX Runtime, a bare HTTP server, the gateway, `mlflow models serve`.

Same ONNX model (the example digits MLP, FP32), same machine, same load generator for both
HTTP servers, one row per request, side by side in one run. The load generator is wrk
(Debian's `wrk`, one thread, keep-alive connections, C: it leaves the 2 CPUs to the
servers) when it is installed, else a closed-loop Python client (one process per
connection, keep-alive http.client; on 2 CPUs it takes about half the CPU itself).
Raw ORT is the floor: `session.run` in-process
from 1 or 8 threads, no HTTP. The gateway runs with its defaults (auth on with a Bearer
key, validation, metrics, access log, 10% profile sampling). The bare server is the floor
for an HTTP server in Python: Starlette + orjson + the same ORT session, one route, no
checks (uvicorn with uvloop and httptools, like the gateway). `--baseline-src DIR` also runs
the gateway from another checkout (say, main) in the same interleaved rounds, for a
before/after ratio from one run; `--workers N` adds the gateway with N worker processes.

    PYTHONPATH=. python bench/serving.py [--seconds 3] [--rounds 3] [--connections 1,8]
        [--load wrk|python] [--targets bare,gateway,mlflow] [--baseline-src DIR] [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def closed_loop_worker(port, path, body, headers, warmup_s, seconds, out):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    lat, errors = [], 0
    start = time.perf_counter()
    deadline, measure_from = start + warmup_s + seconds, start + warmup_s
    while (now := time.perf_counter()) < deadline:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        done = time.perf_counter()
        if now >= measure_from:
            lat.append(done - now)
            errors += response.status != 200
    out.put((lat, errors))


def http_load(port, path, body, headers, connections, seconds, warmup_s=1.0) -> dict:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [
        ctx.Process(
            target=closed_loop_worker, args=(port, path, body, headers, warmup_s, seconds, out)
        )
        for _ in range(connections)
    ]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    lat = np.concatenate([np.asarray(r[0]) for r in results])
    return summarize(lat, seconds, sum(r[1] for r in results))


_WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %.1f %.1f\\n", summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_load(port, path, body, headers, connections, seconds, warmup_s=1.0) -> dict:
    """wrk with one thread: a warm-up run, then the measured one (its own latency percentiles)."""
    script = Path(tempfile.mkdtemp(prefix="slipway-wrk-")) / "post.lua"
    script.write_text(_WRK_SCRIPT)
    env = {**os.environ, "BENCH_BODY": body, "BENCH_AUTH": headers.get("Authorization", "")}
    url = f"http://127.0.0.1:{port}{path}"
    common = ["wrk", "-t1", f"-c{connections}", "--latency", "-s", str(script), url]
    subprocess.run(
        [*common[:3], f"-d{max(1, int(warmup_s))}s", *common[3:]],
        env=env,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [*common[:3], f"-d{int(seconds)}s", *common[3:]],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    n, duration_us, errors, p50_us, p99_us = (float(v) for v in line.split()[1:])
    return {
        "rps": n / (duration_us / 1e6),
        "p50_ms": p50_us / 1e3,
        "p99_ms": p99_us / 1e3,
        "n": int(n),
        "errors": int(errors),
    }


def raw_ort(session, x, threads, seconds, warmup_s=1.0) -> dict:
    lats: list[list[float]] = [[] for _ in range(threads)]

    def worker(i):
        start = time.perf_counter()
        deadline, measure_from = start + warmup_s + seconds, start + warmup_s
        while (now := time.perf_counter()) < deadline:
            session.run(None, {"input": x})
            if now >= measure_from:
                lats[i].append(time.perf_counter() - now)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return summarize(np.concatenate([np.asarray(v) for v in lats]), seconds, 0)


def summarize(lat: np.ndarray, seconds: float, errors: int) -> dict:
    return {
        "rps": len(lat) / seconds,
        "p50_ms": float(np.percentile(lat, 50) * 1e3),
        "p99_ms": float(np.percentile(lat, 99) * 1e3),
        "n": int(len(lat)),
        "errors": int(errors),
    }


def median_run(runs: list[dict]) -> dict:
    """The round with the median throughput (its latencies belong to the same round)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return {**ordered[len(ordered) // 2], "errors": sum(r["errors"] for r in runs)}


def wait_http(port, path, timeout=120.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no 200 from :{port}{path} after {timeout}s")


def prepare(work: Path):
    """Train the example MLP, build its candidate directory, register it, log it for mlflow."""
    import mlflow
    import onnx

    from slipway.train.digits import digits_frame
    from slipway.train.params import TrainParams
    from slipway.train.stage import fit, split
    from tests.e2e.serving.registered import register_bundle
    from tests.support.candidates import build_candidate_dir

    params = TrainParams(max_iter=200)
    splits = split(digits_frame(), params)
    model = fit(splits.train, params)
    cand = build_candidate_dir(model, splits.reference, params.target_column, work / "candidates")
    register_bundle(cand, "digits-bench", work)
    onnx_path = cand / "onnx-fp32" / "model.onnx"
    x = splits.reference.drop(columns=[params.target_column]).to_numpy(np.float32)[:1]
    from slipway.tracking import configure_mlflow

    with mlflow.start_run(experiment_id=configure_mlflow()) as run:
        mlflow.onnx.log_model(onnx.load(str(onnx_path)), name="model", input_example=x)
    return onnx_path, x, f"runs:/{run.info.run_id}/model"


def serve_bare(port: int, model_path: str) -> None:
    """The floor: POST /predict {"instances": [[...]]} -> {"predictions": [...]}, nothing else."""
    import orjson
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from slipway.runtimes import onnx_session

    session = onnx_session(model_path)
    output = session.get_outputs()[0].name

    async def predict(request: Request) -> Response:
        payload = orjson.loads(await request.body())
        x = np.asarray(payload["instances"], dtype=np.float32)
        labels = session.run([output], {"input": x})[0]
        return Response(
            orjson.dumps({"predictions": labels.tolist()}), media_type="application/json"
        )

    app = Starlette(routes=[Route("/predict", predict, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--connections", default="1,8")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--load",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (default: wrk when installed: apt-get install wrk)",
    )
    ap.add_argument(
        "--targets",
        default="bare,gateway,mlflow",
        help="comma list of: raw, bare, gateway, mlflow (raw ORT in-process always runs)",
    )
    ap.add_argument(
        "--baseline-src", default=None, help="also run the gateway from this source tree"
    )
    ap.add_argument(
        "--workers", type=int, default=1, help="also run the gateway with N workers (N > 1)"
    )
    args = ap.parse_args()
    load = wrk_load if args.load == "wrk" else http_load
    conns = [int(c) for c in args.connections.split(",")]
    work = Path(tempfile.mkdtemp(prefix="slipway-bench-serving-"))
    os.environ["SLIPWAY_HOME"] = str(work / "home")
    from slipway.registry import open_registry
    from slipway.runtimes import onnx_session
    from slipway.serving.auth import add_key
    from slipway.serving.testing import free_port, gateway_process

    open_registry()  # configures MLflow on the bench home
    onnx_path, x, mlflow_uri = prepare(work)
    row = x[0].tolist()
    targets = set(args.targets.split(","))
    session = onnx_session(onnx_path)
    key = add_key(work / "keys.json", "bench", ["predict"])
    gw_headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    gw_args = ["--keys-file", str(work / "keys.json")]
    gw_body, ml_body = json.dumps({"instances": [row]}), json.dumps({"inputs": [row]})
    plain = {"Content-Type": "application/json"}
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'home' / 'mlflow.db'}",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }  # its uvicorn
    cells: dict[str, tuple] = {}  # name -> (port, path, body, headers)
    procs, stack = [], contextlib.ExitStack()
    try:
        if "bare" in targets:
            port = free_port()
            procs.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--serve-bare", str(port), str(onnx_path)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_port(port, procs[-1])
            cells["bare Starlette + orjson + ORT"] = (port, "/predict", gw_body, plain)
        if "gateway" in targets:
            url = stack.enter_context(
                gateway_process(["digits-bench"], extra_args=gw_args, poll_interval_s=5)
            )
            cells["slipway gateway, defaults"] = (
                int(url.rsplit(":", 1)[1]),
                "/v1/models/digits-bench:predict",
                gw_body,
                gw_headers,
            )
            if args.workers > 1:
                url = stack.enter_context(
                    gateway_process(
                        ["digits-bench"],
                        extra_args=[*gw_args, "--workers", str(args.workers)],
                        poll_interval_s=5,
                    )
                )
                cells[f"slipway gateway, {args.workers} workers"] = (
                    int(url.rsplit(":", 1)[1]),
                    "/v1/models/digits-bench:predict",
                    gw_body,
                    gw_headers,
                )
        if args.baseline_src:
            base_env = {"PYTHONPATH": str(Path(args.baseline_src).resolve())}
            url = stack.enter_context(
                gateway_process(
                    ["digits-bench"],
                    extra_args=gw_args,
                    poll_interval_s=5,
                    env=base_env,
                    cwd=str(Path(args.baseline_src).resolve()),
                )
            )
            cells[f"slipway gateway, defaults ({Path(args.baseline_src).name})"] = (
                int(url.rsplit(":", 1)[1]),
                "/v1/models/digits-bench:predict",
                gw_body,
                gw_headers,
            )
        if "mlflow" in targets:
            ml_port = free_port()
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "mlflow",
                        "models",
                        "serve",
                        "-m",
                        mlflow_uri,
                        "--env-manager",
                        "local",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(ml_port),
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=open(work / "mlflow-serve.log", "wb"),
                )
            )
            wait_http(ml_port, "/ping", proc=procs[-1])
            cells["mlflow models serve"] = (ml_port, "/invocations", ml_body, plain)
        rounds: dict[str, dict[int, list]] = {
            name: {c: [] for c in conns} for name in ["raw ORT (in-process)", *cells]
        }
        # interleaved rounds: the machine's background load hits every target alike
        for _ in range(args.rounds):
            for c in conns:
                rounds["raw ORT (in-process)"][c].append(raw_ort(session, x, c, args.seconds))
                for name, (port, path, body, headers) in cells.items():
                    rounds[name][c].append(load(port, path, body, headers, c, args.seconds))
    finally:
        stack.close()
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
    results = {
        name: {c: median_run(runs) for c, runs in per.items()} for name, per in rounds.items()
    }
    report(results, conns, args)


def wait_port(port: int, proc, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listening on :{port} after {timeout}s")


def report(results, conns, args) -> None:
    print(
        f"# serving benchmark: {args.rounds} interleaved rounds x {args.seconds:g} s per cell "
        f"(median round), 1 row per request, load generator {args.load}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| target | conns | req/s | p50 ms | p99 ms | requests | non-200 |")
    print("|---|---|---|---|---|---|---|")
    for name, cells in results.items():
        for c in conns:
            r = cells[c]
            print(
                f"| {name} | {c} | {r['rps']:.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.2f} "
                f"| {r['n']} | {r['errors']} |"
            )
    print()
    bare = results.get("bare Starlette + orjson + ORT")
    for name, cells in results.items():
        if bare is None or name.startswith(("raw", "bare")):
            continue
        ratios = ", ".join(f"{c} conn {cells[c]['rps'] / bare[c]['rps']:.2f}" for c in conns)
        print(f"- {name} / bare: {ratios}")
    workers = [n for n in results if "workers" in n]
    for name in workers:
        n = int(name.split(", ")[1].split()[0])
        print(
            f"- {name}: {results[name][conns[-1]]['rps'] / n:.0f} req/s per worker process "
            f"({os.cpu_count()} CPUs, the load generator shares them)"
        )


if __name__ == "__main__":
    main()
