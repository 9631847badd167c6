"""The model every server in the peers benchmark serves, and its registration for slipway.

Runs as a child process of `bench/serving_peers.py` (project venv, SLIPWAY_HOME set by the
parent), so Prefect's ephemeral API and MLflow leave with it before anything is timed. Prints
one JSON line: the model file, the candidate's name, the registered model name, and digits
rows (the example's data) for the same-class check and the load.

- `release`: the example through the real pipeline (`flows.release`: train the digits MLP,
  validate-data, convert-and-quantize, benchmark-latency, register-version, guarded promote),
  limited to the ONNX Runtime targets, so the benchmark stage's selection is an ORT candidate.
- `register DIR`: an existing candidate directory (its manifest's selection, or the accepted
  ORT candidate when the selection is not an ORT one) registered as champion without the gates.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ORT_TARGETS = ["onnx-fp32", "ort-int8-dynamic", "ort-int8-static"]


def ort_candidate(candidate_dir: Path) -> tuple[str, Path]:
    """The selected candidate when it runs on ONNX Runtime, else the first accepted ORT one."""
    from slipway.core.manifest import Manifest

    manifest_path = candidate_dir / "manifest.json"
    if not manifest_path.is_file():
        raise SystemExit(
            f"--candidate-dir {candidate_dir}: no manifest.json (a candidate directory "
            "from `slipway optimize` / `slipway bench`)"
        )
    manifest = Manifest.model_validate_json(manifest_path.read_text())
    ort = [
        c
        for c in manifest.candidates
        if c.runtime == "onnxruntime" and c.status == "accepted" and c.path
    ]
    chosen = next(
        (c for c in ort if manifest.selection and c.name == manifest.selection.candidate),
        ort[0] if ort else None,
    )
    if chosen is None:
        raise SystemExit(f"--candidate-dir {candidate_dir}: no accepted ONNX Runtime candidate")
    return chosen.name, candidate_dir / chosen.path


def release(name: str) -> dict:
    from flows.release import ReleaseParams, release

    result = release(ReleaseParams(model_name=name, targets=ORT_TARGETS))
    if result.outcome != "promoted":
        raise SystemExit(f"release of {name} ended {result.outcome!r}, not promoted: {result}")
    candidate_dir = Path(result.stages["convert-and-quantize"]["candidate_dir"])
    candidate, model = ort_candidate(candidate_dir)
    return {
        "model": str(model),
        "candidate": candidate,
        "name": name,
        "version": result.version,
        "candidate_dir": str(candidate_dir),
        "how": "release",
    }


def register(candidate_dir: Path, name: str, work: Path) -> dict:
    from tests.e2e.serving.registered import register_bundle

    candidate, model = ort_candidate(candidate_dir)
    version = register_bundle(candidate_dir, name, work, candidate=candidate)
    return {
        "model": str(model),
        "candidate": candidate,
        "name": name,
        "version": version,
        "candidate_dir": str(candidate_dir),
        "how": "register",
    }


def check_rows(count: int) -> list[list[float]]:
    """`count` digits rows spread over the dataset (every class), as float lists."""
    from slipway.train.digits import TARGET, digits_frame

    frame = digits_frame()
    step = max(1, len(frame) // count)
    return frame.drop(columns=[TARGET]).iloc[::step][:count].to_numpy().tolist()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("how", choices=["release", "register"])
    ap.add_argument("--name", default="digits-peers")
    ap.add_argument("--candidate-dir", type=Path)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--rows", type=int, default=16, help="check rows to print with the model")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    if args.how == "register":
        ort_candidate(args.candidate_dir.resolve())  # a wrong directory fails before MLflow loads
    from slipway.registry import open_registry

    open_registry()  # configures MLflow on this SLIPWAY_HOME
    if args.how == "release":
        out = release(args.name)
    else:
        out = register(args.candidate_dir.resolve(), args.name, args.work)
    out["rows"] = check_rows(args.rows)
    print("MODEL " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
