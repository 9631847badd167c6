"""Measure one model in this process and print one JSON document on stdout.

    python -m slipway.latency.worker SPEC.json

SPEC: {"kind": "candidate"|"sklearn"|"torch", "bundle_dir", "candidate" (a manifest
Candidate) or "source" (manifest.source), "inputs" (a .npy float32 [N, F], or a
structured array with one field per named model input, fed as a dict),
"batch_sizes", "threads", "duration_s", "warmup", "max_cv", "max_attempts"}.
Per thread count: load (timed), warm up, batch-1 latency samples for `duration_s`
(repeated while too noisy), then throughput per batch size. Peak RSS is this
process's VmHWM (getrusage's ru_maxrss survives execve on Linux, so it would report the
parent's peak when the parent is bigger). A known error prints {"ok": false, "error": ...} and
exits 3.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

MIN_SAMPLES = 20


def load_predict(spec: dict, threads: int):
    """A callable x -> outputs for the model in `spec`, loaded with `threads`."""
    bundle = Path(spec["bundle_dir"])
    if spec["kind"] == "candidate":
        from slipway.core.manifest import Candidate
        from slipway.runtimes import load_candidate

        predictor = load_candidate(bundle, Candidate.model_validate(spec["candidate"]), threads)
        return predictor.predict
    from slipway.runtimes import resolve_inside

    source = spec["source"]
    path = resolve_inside(bundle, source["path"])
    if spec["kind"] == "sklearn":
        from threadpoolctl import threadpool_limits

        from slipway.modelio import load_sklearn

        model = load_sklearn(path)
        threadpool_limits(threads)
        return model.predict
    if spec["kind"] == "torch":
        import torch

        torch.set_num_threads(threads)
        if source.get("format") == "torch-exported":
            module = torch.export.load(str(path)).module()
        else:
            module = torch.jit.load(str(path), map_location="cpu")
            module.eval()

        def run(x):
            with torch.inference_mode():
                return module(torch.from_numpy(x))

        return run
    from slipway.errors import BadInput

    raise BadInput(f"cannot measure a model of kind {spec['kind']!r}")


def batch_of(inputs, start: int, size: int):
    import numpy as np

    n = len(inputs)
    idx = np.arange(start, start + size) % n
    rows = inputs[idx]
    if rows.dtype.names:
        return {name: np.ascontiguousarray(rows[name]) for name in rows.dtype.names}
    return np.ascontiguousarray(rows)


def latency_samples(predict, inputs, duration_s: float) -> list[float]:
    samples: list[float] = []
    deadline = time.perf_counter() + duration_s
    i = 0
    while time.perf_counter() < deadline or len(samples) < MIN_SAMPLES:
        x = batch_of(inputs, i, 1)
        t0 = time.perf_counter()
        predict(x)
        samples.append((time.perf_counter() - t0) * 1000.0)
        i += 1
    return samples


def measure_batch(predict, inputs, batch: int, duration_s: float) -> dict:
    from slipway.core.latency import summarize, throughput

    calls: list[float] = []
    t_start = time.perf_counter()
    i = 0
    while time.perf_counter() - t_start < duration_s or len(calls) < 3:
        x = batch_of(inputs, i * batch, batch)
        t0 = time.perf_counter()
        predict(x)
        calls.append((time.perf_counter() - t0) * 1000.0)
        i += 1
    busy_s = sum(calls) / 1000.0
    stats = summarize(calls)
    return {
        "batch": batch,
        "calls": len(calls),
        "p50_ms": stats.p50_ms,
        "p99_ms": stats.p99_ms,
        "throughput": throughput(len(calls) * batch, busy_s),
    }


def measure_threads(spec: dict, inputs, threads: int) -> dict:
    from slipway.core.latency import needs_repeat, summarize

    t0 = time.perf_counter()
    predict = load_predict(spec, threads)
    load_s = time.perf_counter() - t0
    for i in range(spec.get("warmup", 10)):
        predict(batch_of(inputs, i, 1))
    attempt, best = 1, None
    while True:
        stats = summarize(latency_samples(predict, inputs, spec["duration_s"]))
        if best is None or stats.cv < best.cv:
            best = stats
        if not needs_repeat(
            stats.cv, attempt, spec.get("max_cv", 0.5), spec.get("max_attempts", 3)
        ):
            break
        attempt += 1
    batches = [measure_batch(predict, inputs, b, spec["duration_s"]) for b in spec["batch_sizes"]]
    return {
        "threads": threads,
        "load_s": load_s,
        "attempts": attempt,
        "noisy": best.cv > spec.get("max_cv", 0.5),
        "latency": best.model_dump(),
        "batches": batches,
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process's own address space, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(spec: dict) -> dict:
    import numpy as np

    inputs = np.load(spec["inputs"])
    if not inputs.dtype.names:
        inputs = inputs.astype(np.float32, copy=False)
    per_threads = [measure_threads(spec, inputs, t) for t in spec["threads"]]
    return {"ok": True, "pid": os.getpid(), "peak_rss_mb": peak_rss_mb(), "runs": per_threads}


def main(argv: list[str]) -> int:
    from slipway.errors import SlipwayError

    if len(argv) != 1:
        print(
            json.dumps({"ok": False, "error": "usage: python -m slipway.latency.worker SPEC.json"})
        )
        return 2
    spec = json.loads(Path(argv[0]).read_text())
    try:
        result = measure(spec)
    except SlipwayError as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
        return 3
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
