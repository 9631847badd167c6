"""Capacity of gateway replicas behind HAProxy: req/s and p99 for 1 and 2 replicas.

The stack is `slipway up --replicas N`'s own (its service builders): moto's S3, the MLflow
server, N `slipway serve` replicas (defaults: auth on, validation, metrics, access log, 10 %
profile sampling) behind HAProxy. The digits MLP (ONNX FP32) is registered and promoted;
then wrk (Debian's `wrk`, one thread, keep-alive) sends one-row predict requests through the
load balancer at each connection count, `--rounds` times; the median round is reported.
`--workers` adds one gateway process with `slipway serve --workers N` behind the same
balancer, for comparison. Everything runs on this machine, so the load generator, HAProxy,
MLflow and the replicas share its cores: read the numbers as a lower bound per core.

    PYTHONPATH=. python bench/replicas.py [--replicas 1,2] [--connections 4,16,32]
        [--seconds 5] [--rounds 3] [--slo-p99-ms 50] [--workers 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serving import http_load, median_run, wrk_load  # noqa: E402

MODEL = "digits-bench"


def register_model(work: Path) -> None:
    """Train the example MLP, build its candidates, register and promote it (on the stack)."""
    from slipway.train.digits import digits_frame
    from slipway.train.params import TrainParams
    from slipway.train.stage import fit, split
    from tests.e2e.serving.registered import register_bundle
    from tests.support.candidates import build_candidate_dir

    params = TrainParams(max_iter=200)
    splits = split(digits_frame(), params)
    model = fit(splits.train, params)
    cand = build_candidate_dir(model, splits.reference, params.target_column, work / "candidates")
    register_bundle(cand, MODEL, work)
    x = splits.reference.drop(columns=[params.target_column]).to_numpy("float32")[:1]
    return x[0].tolist()


def distinct_ports(n: int) -> list[int]:
    """n free loopback ports, all different (each socket stays bound until all are chosen)."""
    import contextlib
    import socket

    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def start_stack(home: Path, replicas: int, serve_args: tuple[str, ...] = ()):
    from slipway.stack.cluster import ensure_api_key
    from slipway.stack.options import UpOptions
    from slipway.stack.services import build_specs
    from slipway.stack.supervisor import ServiceGroup, check_ports

    mlflow_port, gateway_port, s3_port, *replica_ports = distinct_ports(3 + replicas)
    opts = UpOptions(
        home=home,
        prefect=False,
        mlflow_port=mlflow_port,
        replicas=replicas,
        gateway_port=gateway_port,
        replica_ports=tuple(replica_ports),
        s3_port=s3_port,
        bucket="bench",
        models=(MODEL,),
        gateway_args=serve_args,
    )
    key = ensure_api_key(opts) or os.environ["BENCH_API_KEY"]
    os.environ["BENCH_API_KEY"] = key
    group = ServiceGroup(opts.log_dir, grace_s=20)
    specs = build_specs(opts)
    check_ports(specs)
    group.start(specs, timeout_s=240)
    return opts, group, key


def wait_ready(url: str, timeout_s: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v2/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {timeout_s} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicas", default="1,2")
    ap.add_argument("--connections", default="4,16,32")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--slo-p99-ms", type=float, default=50.0)
    ap.add_argument("--workers", type=int, default=0, help="also one replica with --workers N")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    load = wrk_load if shutil.which("wrk") else http_load
    conns = [int(c) for c in args.connections.split(",")]
    setups = [(f"{n} replica(s)", n, ()) for n in (int(r) for r in args.replicas.split(","))]
    if args.workers > 1:
        setups.append((f"1 replica, --workers {args.workers}", 1, ("--workers", str(args.workers))))
    results: dict[str, dict[int, dict]] = {}
    row = None
    for label, replicas, serve_args in setups:
        home = Path(tempfile.mkdtemp(prefix="slipway-bench-replicas-"))
        os.environ["SLIPWAY_HOME"] = str(home)
        opts, group, key = start_stack(home, replicas, serve_args)
        try:
            for k, v in opts.client_env().items():
                os.environ[k] = v
            os.environ.update({k: v for k, v in opts.s3_env().items()})
            row = register_model(home)
            wait_ready(opts.gateway_url)
            for url in opts.replica_urls:
                wait_ready(url)
            time.sleep(2.0)  # HAProxy's health checks put every replica in the pool
            body = json.dumps({"instances": [row]})
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
            path = f"/v1/models/{MODEL}:predict"
            port = opts.gateway_port
            results[label] = {}
            for c in conns:
                runs = [
                    load(port, path, body, headers, c, args.seconds) for _ in range(args.rounds)
                ]
                results[label][c] = median_run(runs)
                r = results[label][c]
                print(
                    f"{label:<28} c={c:<3} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
                    f"p99 {r['p99_ms']:6.2f} ms  errors {r['errors']}",
                    flush=True,
                )
        finally:
            group.stop()
    report(results, conns, args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def report(results, conns, args) -> None:
    cpus = os.cpu_count() or 1
    print(f"\n| setup | {' | '.join(f'c={c} req/s (p99 ms)' for c in conns)} |")
    print(f"|---|{'---|' * len(conns)}")
    for label, by_c in results.items():
        cells = [f"{by_c[c]['rps']:.0f} ({by_c[c]['p99_ms']:.1f})" for c in conns]
        print(f"| {label} | {' | '.join(cells)} |")
    print(f"\nbest req/s with p99 <= {args.slo_p99_ms:g} ms, per setup ({cpus} CPUs on this host):")
    for label, by_c in results.items():
        ok = [r["rps"] for r in by_c.values() if r["p99_ms"] <= args.slo_p99_ms and not r["errors"]]
        best = max(ok, default=0.0)
        print(f"  {label}: {best:.0f} req/s ({best / cpus:.0f} req/s per CPU of the host)")


if __name__ == "__main__":
    main()
