"""Run every model of a candidate directory in its own worker subprocess, one after another.

A worker that crashes, hangs past its timeout or prints no JSON becomes a `failed`
measurement with the reason; it never takes the benchmark down. Workers run one at a
time so they do not compete for the cores they measure.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from slipway.core.manifest import Manifest

WORKER_MODULE = "slipway.latency.worker"


def worker_specs(manifest: Manifest, bundle_dir: Path, inputs: Path, settings: dict) -> list[dict]:
    """One spec per model to measure: the source baseline (when loadable) and every candidate with
    a file."""
    specs = []
    source = manifest.source or {}
    kind = source.get("kind")
    if source.get("path") and kind in ("sklearn", "torch"):
        specs.append({"name": f"source-{kind}", "role": "baseline", "kind": kind, "source": source})
    for candidate in manifest.candidates:
        if candidate.status == "accepted" and candidate.path:
            specs.append(
                {
                    "name": candidate.name,
                    "role": "candidate",
                    "kind": "candidate",
                    "candidate": candidate.model_dump(mode="json"),
                }
            )
    for spec in specs:
        spec.update(settings, bundle_dir=str(bundle_dir), inputs=str(inputs))
    return specs


def baseline_skip_reason(manifest: Manifest) -> str | None:
    """Why the source framework is not measured, or None when it is."""
    source = manifest.source or {}
    kind = source.get("kind")
    if kind not in ("sklearn", "torch"):
        return f"source kind {kind or 'unknown'!r} has no framework baseline"
    if not source.get("path"):
        return "the manifest's source has no path"
    if kind == "torch":
        import importlib.util

        if importlib.util.find_spec("torch") is None:
            return "torch is not installed"
    return None


def run_worker(spec: dict, timeout_s: float, module: str = WORKER_MODULE) -> dict:
    """Measure one model in a subprocess; always returns a dict with `ok` and, if not ok,
    `error`."""
    with tempfile.TemporaryDirectory(prefix="slipway-bench-") as tmp:
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec))
        try:
            proc = subprocess.run(
                [sys.executable, "-m", module, str(spec_path)],
                capture_output=True,
                text=True,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired:
            return {
                "ok": False,
                "error": f"timeout: the worker ran over {timeout_s:g} s and was killed",
            }
    lines = [line for line in proc.stdout.splitlines() if line.strip().startswith("{")]
    result = None
    if lines:
        try:
            result = json.loads(lines[-1])
        except json.JSONDecodeError:
            result = None
    if isinstance(result, dict) and result.get("ok") and proc.returncode == 0:
        return result
    if isinstance(result, dict) and result.get("error"):
        return {"ok": False, "error": str(result["error"])}
    tail = (proc.stderr.strip().splitlines() or [""])[-1][:300]
    how = (
        f"killed by signal {-proc.returncode}"
        if proc.returncode < 0
        else f"exit code {proc.returncode}"
    )
    return {"ok": False, "error": f"worker crashed ({how}){': ' + tail if tail else ''}"}


def timeout_for(spec: dict) -> float:
    """Generous: imports and loading plus every timed phase, with a floor of 60 s."""
    phases = len(spec["threads"]) * (1 + len(spec["batch_sizes"])) * spec.get("max_attempts", 3)
    return max(60.0, 30.0 + 3 * phases * spec["duration_s"])
