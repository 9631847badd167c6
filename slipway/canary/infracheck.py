"""Infra check (pre-flight): load the version's serving artifact in a separate process with
the gateway's runtime and answer requests built from the bundle's input example.

Run as `python -m slipway.canary.infracheck BUNDLE_DIR`: prints one JSON line
`{"ok": bool, "detail": str, ...}`. `run_infra_check()` starts that process with a time
limit, so a model that crashes or hangs the runtime never reaches user traffic.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel


class InfraCheck(BaseModel):
    ok: bool
    detail: str
    candidate: str | None = None
    runtime: str | None = None
    rows: int = 0
    seconds: float = 0.0


def example_rows(example: Any, feature_names: list[str]) -> list[list[float]]:
    """Rows from input_example.json: {"instances"|"inputs": rows}, {"columns", "data"}
    (pandas split), a list of rows, or a list of {feature: value} records."""
    if isinstance(example, dict):
        if "columns" in example and "data" in example:
            columns = list(example["columns"])
            missing = [f for f in feature_names if f not in columns]
            if missing:
                raise ValueError(f"input example lacks features {missing[:5]}")
            index = (
                [columns.index(f) for f in feature_names] if feature_names else range(len(columns))
            )
            return [[float(row[i]) for i in index] for row in example["data"]]
        for field in ("instances", "inputs", "data"):
            if field in example:
                return example_rows(example[field], feature_names)
        raise ValueError("input example: expected 'instances', 'inputs' or 'columns'+'data'")
    if isinstance(example, list) and example and isinstance(example[0], dict):
        return [[float(record[f]) for f in feature_names] for record in example]
    if isinstance(example, list) and example and isinstance(example[0], list):
        return [[float(v) for v in row] for row in example]
    raise ValueError("input example holds no rows")


def _tail(message: str, limit: int = 300) -> str:
    """The end of a long runtime error (where ONNX Runtime puts the reason), on one line."""
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else "..." + flat[-limit:]


def check_bundle(bundle_dir: Path) -> InfraCheck:
    """In this process: load the selected candidate, predict on the example, check the answer."""
    import numpy as np

    from slipway.layout import read_contract, read_input_example, read_manifest
    from slipway.runtimes import load_candidate

    start = time.monotonic()
    manifest = read_manifest(bundle_dir)
    candidate = manifest.selected()
    if candidate is None:
        return InfraCheck(ok=False, detail="the manifest selects no candidate to serve")
    contract = read_contract(bundle_dir)
    rows = example_rows(read_input_example(bundle_dir), contract.feature_names)
    x = np.asarray(rows, dtype=np.float32)
    if not contract.is_tabular:  # a tensor model's example rows are flattened items
        spec = contract.tensors[0]
        if x.ndim != 2 or x.shape[1] != spec.item_size:
            return InfraCheck(
                ok=False,
                detail=f"input example rows have shape {list(x.shape)}, one {spec.name} item "
                f"of shape {spec.item_shape} needs {spec.item_size} values",
                candidate=candidate.name,
            )
        x = x.reshape(len(x), *spec.example_shape(1)[1:])
    elif x.ndim != 2 or x.shape[1] != len(contract.features):
        return InfraCheck(
            ok=False,
            detail=f"input example has shape {list(x.shape)}, the contract wants "
            f"[N, {len(contract.features)}]",
            candidate=candidate.name,
        )
    predictor = load_candidate(bundle_dir, candidate, threads=1)
    answers = []
    for i, batch in [*((i, x[i : i + 1]) for i in range(len(x))), (len(x), x)]:
        try:
            answers.append(predictor.predict(batch))
        except Exception as exc:  # the runtime's own error, reported with the request it failed on
            which = (
                f"request {i + 1} of the input example"
                if i < len(x)
                else "the batch of the input example"
            )
            return InfraCheck(
                ok=False,
                detail=f"{which} failed on {predictor.runtime}: {_tail(str(exc))}",
                candidate=candidate.name,
                runtime=predictor.runtime,
            )
    for answer in answers:
        labels = np.asarray(answer.get("label"))
        probabilities = answer.get("probabilities")
        expected = len(x) if answer is answers[-1] else 1
        if labels.shape != (expected,):
            return InfraCheck(
                ok=False,
                detail=f"label has shape {list(labels.shape)}, expected [{expected}]",
                candidate=candidate.name,
                runtime=predictor.runtime,
            )
        if probabilities is not None:
            p = np.asarray(probabilities)
            if (
                p.shape[0] != expected
                or not np.all(np.isfinite(p))
                or np.any(np.abs(p.sum(axis=1) - 1) > 1e-3)
            ):
                return InfraCheck(
                    ok=False,
                    detail="probabilities are not finite rows that sum to 1",
                    candidate=candidate.name,
                    runtime=predictor.runtime,
                )
    return InfraCheck(
        ok=True,
        detail=f"{candidate.name} on {predictor.runtime} answered {len(x)} single "
        f"requests and one batch of {len(x)}",
        candidate=candidate.name,
        runtime=predictor.runtime,
        rows=len(x),
        seconds=time.monotonic() - start,
    )


def run_infra_check(bundle_dir: str | Path, timeout_s: float = 120.0) -> InfraCheck:
    """Run `check_bundle` in a child process; a crash, a hang or bad output fails the check."""
    start = time.monotonic()
    command = [sys.executable, "-m", "slipway.canary.infracheck", str(bundle_dir)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return InfraCheck(
            ok=False, detail=f"the serving process did not answer within {timeout_s:g} s"
        )
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    try:
        result = InfraCheck.model_validate_json(last)
    except ValueError:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        return InfraCheck(
            ok=False, detail=f"the serving process exited with code {done.returncode}: {tail}"
        )
    return result.model_copy(update={"seconds": time.monotonic() - start})


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m slipway.canary.infracheck BUNDLE_DIR", file=sys.stderr)
        return 2
    try:
        result = check_bundle(Path(argv[0]))
    except Exception as exc:  # reported to the parent as a failed check, with the reason
        result = InfraCheck(
            ok=False,
            detail=f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}",
        )
    print(result.model_dump_json())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
