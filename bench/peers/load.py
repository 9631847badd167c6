"""Load generators of the peers benchmark, and the same-class check that runs before timing.

wrk (Debian's `wrk`, one thread, keep-alive connections; C, so it leaves the CPUs to the
servers) posts one row per request through post.lua. Without wrk, a closed-loop Python client
(one forked process per connection, keep-alive http.client) does the same; on 2 CPUs it takes
a good share of the CPU itself, so its numbers are lower for every server alike. Each cell has
a warm-up run before the measured one. A result is req/s, p50 and p99 in ms, the number of
requests and of failed ones (connection errors or a status above 399).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np

from bench.peers.procs import run_checked

LUA = Path(__file__).resolve().parent / "post.lua"


class CheckFailed(RuntimeError):
    """A server answered a check row wrongly: the message names the server and the row."""


def post(port: int, path: str, body: str, headers: dict, timeout: float = 30.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def check_classes(target, rows: list[list[float]], expected: list[int]) -> None:
    """Every row, one per request as under load, must come back with the expected class."""
    for i, (row, want) in enumerate(zip(rows, expected, strict=True)):
        status, data = post(target.port, target.path, target.body([row]), target.headers)
        if status != 200:
            raise CheckFailed(f"{target.label}: check row {i} got HTTP {status}: {data[:300]!r}")
        try:
            got = target.classes(json.loads(data))
        except (KeyError, TypeError, ValueError, StopIteration) as exc:
            raise CheckFailed(
                f"{target.label}: check row {i}: no class in the answer ({exc!r}): {data[:300]!r}"
            ) from None
        if [int(c) for c in got] != [int(want)]:
            raise CheckFailed(
                f"{target.label}: check row {i} predicted {got}, the model file gives [{want}]"
            )


def wrk_load(target, body: str, connections: int, seconds: float, warmup_s: float = 1.0) -> dict:
    env = {
        **os.environ,
        "BENCH_BODY": body,
        "BENCH_CONTENT_TYPE": target.headers.get("Content-Type", "application/json"),
        "BENCH_AUTH": target.headers.get("Authorization", ""),
    }
    url = f"http://127.0.0.1:{target.port}{target.path}"

    def run(duration: float) -> str:
        seconds = f"-d{max(1, round(duration))}s"
        cmd = ["wrk", "-t1", f"-c{connections}", seconds, "--latency", "-s", str(LUA), url]
        return run_checked(cmd, f"wrk on {target.label}", env=env)

    if warmup_s > 0:
        run(warmup_s)
    return parse_wrk(run(seconds))


def parse_wrk(stdout: str) -> dict:
    line = next((ln for ln in stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no RESULT line (post.lua not run?):\n{stdout[-500:]}")
    n, duration_us, errors, p50_us, p99_us = (float(v) for v in line.split()[1:])
    return {
        "rps": n / (duration_us / 1e6),
        "p50_ms": p50_us / 1e3,
        "p99_ms": p99_us / 1e3,
        "n": int(n),
        "errors": int(errors),
    }


def _closed_loop(port, path, body, headers, warmup_s, seconds, out) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat, errors = [], 0
    start = time.perf_counter()
    deadline, measure_from = start + warmup_s + seconds, start + warmup_s
    while (now := time.perf_counter()) < deadline:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if now >= measure_from:
            lat.append(time.perf_counter() - now)
            errors += response.status > 399
    out.put((lat, errors))


def python_load(target, body: str, connections: int, seconds: float, warmup_s: float = 1.0) -> dict:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [
        ctx.Process(
            target=_closed_loop,
            args=(target.port, target.path, body, target.headers, warmup_s, seconds, out),
        )
        for _ in range(connections)
    ]
    for p in procs:
        p.start()
    try:
        results = [out.get(timeout=warmup_s + seconds + 60) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
    lat = np.concatenate([np.asarray(r[0], dtype=float) for r in results])
    if not len(lat):
        return {
            "rps": 0.0,
            "p50_ms": float("nan"),
            "p99_ms": float("nan"),
            "n": 0,
            "errors": sum(r[1] for r in results),
        }
    return {
        "rps": len(lat) / seconds,
        "p50_ms": float(np.percentile(lat, 50) * 1e3),
        "p99_ms": float(np.percentile(lat, 99) * 1e3),
        "n": int(len(lat)),
        "errors": int(sum(r[1] for r in results)),
    }
