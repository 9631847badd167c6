"""Serving peers: slipway's gateway next to the bare floor and the servers users pick instead.

One model file (the example's selected ONNX Runtime candidate, built here through the real
release pipeline, or taken from `--candidate-dir`), one row per request, side by side in one
run on this host:

- bare: Starlette + orjson + ONNX Runtime, nothing else on the request path (the floor);
- slipway: `slipway serve` with its defaults (auth, validation, metrics, access log, profile
  sampling), its /v1 JSON route and its OIP v2 route;
- mlserver: MLServer with a custom ORT MLModel (it ships no ONNX runtime), parallel_workers 0,
  and the same model with adaptive batching (8 requests / 2 ms, at more than one connection);
- litserve, bentoml: the model behind LitServe and BentoML 1.4 as their docs show;
- mlflow: `mlflow models serve` of the same ONNX file saved with MLflow's onnx flavor.

Every peer runs from its own virtualenv (bench/.venvs/<peer>, created on first use from
bench/peers/requirements-<peer>.txt). Every server must return the model file's class on the
same rows before anything is timed. Load: wrk (`apt-get install -y wrk`) when installed, else a
closed-loop Python client; interleaved rounds; medians; ratios to bare and to slipway from the
same rounds. Everything binds 127.0.0.1 on free ports and is stopped at the end, on Ctrl-C and
on errors.

    PYTHONPATH=$PWD .venv/bin/python bench/serving_peers.py [--duration S] [--rounds R]
        [--connections 1,8] [--only NAME,...] [--candidate-dir DIR] [--load wrk|python]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.peers import load, report  # noqa: E402
from bench.peers.servers import ORDER, STARTERS, Setup  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BARE, SLIPWAY = "bare Starlette + orjson + ORT", "slipway gateway, defaults, /v1"


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=5.0, help="measured seconds per cell")
    ap.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds before each cell")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians over them)")
    ap.add_argument("--connections", default="1,8", help="comma-separated connection counts")
    ap.add_argument(
        "--only", default=",".join(ORDER), help=f"comma-separated servers out of {','.join(ORDER)}"
    )
    ap.add_argument(
        "--candidate-dir",
        type=Path,
        default=None,
        help="serve this candidate directory's ORT candidate instead of building one",
    )
    ap.add_argument(
        "--load",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (default: wrk when installed)",
    )
    ap.add_argument("--check-rows", type=int, default=16, help="rows every server must agree on")
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="markdown file (default: bench/.results/serving-peers-<UTC time>.md)",
    )
    ap.add_argument("--keep-work", action="store_true", help="keep the work folder (logs, model)")
    args = ap.parse_args(argv)
    try:
        args.connections = sorted({int(c) for c in args.connections.split(",") if c.strip()})
    except ValueError:
        ap.error(f"--connections {args.connections!r}: give counts like 1,8")
    if not args.connections or min(args.connections) < 1:
        ap.error("--connections: give counts of 1 or more, like 1,8")
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.only if s not in ORDER]
    if unknown or not args.only:
        ap.error(f"--only {','.join(unknown) or '(empty)'}: choose from {','.join(ORDER)}")
    args.only = [s for s in ORDER if s in args.only]
    if args.duration <= 0 or args.rounds < 1:
        ap.error("--duration must be > 0 and --rounds >= 1")
    if args.load == "wrk" and not shutil.which("wrk"):
        ap.error("--load wrk: wrk is not installed (apt-get install -y wrk, or --load python)")
    if args.candidate_dir is not None and not args.candidate_dir.is_dir():
        ap.error(f"--candidate-dir {args.candidate_dir}: no such directory")
    return args


def log(text: str) -> None:
    print(f"[serving-peers] {text}", file=sys.stderr, flush=True)


def prepare_model(args, work: Path, home: Path) -> dict:
    """Build (release) or register (--candidate-dir) the model in a child process."""
    if args.candidate_dir:
        how = ["register", "--candidate-dir", str(args.candidate_dir)]
        log(f"registering {args.candidate_dir} ...")
    else:
        how = ["release"]
        log("building the example through the release pipeline (about 1-2 min) ...")
    env = {
        **os.environ,
        "SLIPWAY_HOME": str(home),
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    script = REPO / "bench" / "peers" / "model.py"
    cmd = [sys.executable, str(script), *how, "--work", str(work), "--rows", str(args.check_rows)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("MODEL ")), None)
    if done.returncode != 0 or line is None:
        (work / "model.log").write_text(done.stdout + done.stderr)
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise RuntimeError(f"preparing the model failed (log: {work / 'model.log'}):\n{tail}")
    return json.loads(line[len("MODEL ") :])


def expected_classes(model: Path, rows) -> list[int]:
    import numpy as np

    from bench.peers.ort_session import Model

    return Model(str(model)).run(np.asarray(rows, dtype=np.float32))[0].tolist()


def measure(args, targets, procs) -> tuple[dict, list[float]]:
    """Interleaved rounds: round -> connections -> every target; each cell warm-up + measured.

    Several targets share a server (slipway /v1 and OIP v2), so the CPU is read per server."""
    run = load.wrk_load if args.load == "wrk" else load.python_load
    cells: dict[tuple[str, int], list[dict]] = {}
    loads = [os.getloadavg()[0]]
    for r in range(args.rounds):
        # each round starts one target further on, so no target always follows the same one
        order = targets[r % len(targets) :] + targets[: r % len(targets)]
        for c in args.connections:
            for t in order:
                if not t.runs_at(c):
                    continue
                body = t.body([args.load_row])
                if args.warmup > 0:
                    run(t, body, c, args.warmup, warmup_s=0)
                cpu0 = procs[t.server].cpu_seconds()
                result = run(t, body, c, args.duration, warmup_s=0)
                result.update(round=r, cpu_s=procs[t.server].cpu_seconds() - cpu0)
                cells.setdefault((t.label, c), []).append(result)
                loads.append(os.getloadavg()[0])
                log(
                    f"round {r + 1}/{args.rounds} {c} conn {t.label}: {result['rps']:.0f} req/s, "
                    f"p50 {result['p50_ms']:.2f} ms"
                )
    return cells, loads


def settle(procs, max_s: float = 30.0, window_s: float = 1.0) -> dict[str, float]:
    """Wait until no server uses more than 5% of a CPU while idle (the gateway imports whylogs
    and folds its first profile after the check requests), at most `max_s`; return each
    server's idle CPU share over the last window (a busy-polling server taxes the others)."""
    deadline = time.monotonic() + max_s
    while True:
        before = {name: p.cpu_seconds() for name, p in procs.items()}
        time.sleep(window_s)
        idle = {name: (p.cpu_seconds() - before[name]) / window_s for name, p in procs.items()}
        if max(idle.values(), default=0) <= 0.05 or time.monotonic() > deadline:
            return idle


def header(args, model: dict, loads: list[float], versions: dict, idle: dict) -> str:
    sha = hashlib.sha256(Path(model["model"]).read_bytes()).hexdigest()[:12]
    wrk = ""
    if args.load == "wrk":
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
        words = (out.stdout or out.stderr).split()
        wrk = " " + words[1].removeprefix("debian/") if len(words) > 1 else ""
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    source = (
        "built by the release pipeline"
        if model["how"] == "release"
        else f"from {model['candidate_dir']}"
    )
    lines = [
        f"Measured {when}: {args.rounds} interleaved rounds x {args.duration:g} s per cell "
        f"(after {args.warmup:g} s warm-up), medians; one row per request; load generator "
        f"{args.load}{wrk}{' -t1' if args.load == 'wrk' else ''}; {os.cpu_count()} CPUs shared "
        f"by the load generator and the server; 1-min load average during the run "
        f"{min(loads):.1f}-{max(loads):.1f}.",
        f"Model: `{model['candidate']}` ({source}), `model.onnx` sha256 {sha}..., the same "
        f"file in every server; every server returned the file's class on {args.check_rows} "
        f"digits rows before timing.",
    ]
    if versions:
        lines.append(
            "Peers: "
            + ", ".join(f"{k} {v}" for k, v in versions.items())
            + " (each in its own venv, bench/peers/requirements-<peer>.txt)."
        )
    busy = {k: v for k, v in idle.items() if v > 0.05}
    if busy:
        lines.append(
            "Idle CPU (share of one core) after settling, taken from the others' runs: "
            + ", ".join(f"{k} {v:.0%}" for k, v in busy.items())
            + "."
        )
    return "\n".join(lines) + "\n"


FOOTER = (
    "`req/s range`: the lowest and highest round. `x bare` / `x slipway`: median req/s over "
    "the bare server's / the gateway /v1 route's median req/s at the same connection count. "
    "`server CPU us/req`: the server's process tree CPU time during the measured run over its "
    "requests. `failed`: connection errors and answers with a status above 399.\n"
)


def main(argv=None) -> int:
    args = parse_args(argv)
    # SIGTERM, and SIGINT even when started in the background (where it arrives ignored),
    # unwind the ExitStack below: every server started so far is stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    work = Path(tempfile.mkdtemp(prefix="slipway-serving-peers-"))
    home = work / "home"
    try:
        with contextlib.ExitStack() as stack:
            model = prepare_model(args, work, home)
            log(f"model: {model['candidate']} at {model['model']}")
            rows = model["rows"]
            args.load_row = rows[0]
            expected = expected_classes(Path(model["model"]), rows)
            setup = Setup(
                model=Path(model["model"]), model_name=model["name"], slipway_home=home, work=work
            )
            procs, targets = {}, []
            for name in args.only:
                log(f"starting {name} ...")
                proc, server_targets = STARTERS[name](setup)
                stack.callback(proc.stop)
                procs[name] = proc
                targets += server_targets
            for t in targets:
                load.check_classes(t, rows, expected)
            log(f"every server returned the same classes on {len(rows)} rows")
            t0 = time.monotonic()
            idle = settle(procs)
            log(
                f"servers idle after {time.monotonic() - t0:.0f} s: "
                + ", ".join(f"{k} {v:.0%}" for k, v in idle.items())
            )
            cells, loads = measure(args, targets, procs)
        rows_out = report.summarize(
            cells,
            [t.label for t in targets],
            args.connections,
            BARE if "bare" in args.only else None,
            SLIPWAY if "slipway" in args.only else None,
        )
        text = (
            header(args, model, loads, setup.versions, idle)
            + "\n"
            + report.markdown(rows_out)
            + "\n"
            + FOOTER
        )
        print(text)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        out = args.out or REPO / "bench" / ".results" / f"serving-peers-{stamp}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        log(f"table written to {out}")
        return 0
    except (load.CheckFailed, RuntimeError) as exc:
        args.keep_work = True  # its logs tell why
        log(f"stopped: {exc}")
        return 1
    except KeyboardInterrupt:
        log("interrupted: every server started was stopped")
        return 130
    finally:
        if args.keep_work:
            log(f"work folder (server logs, model) kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
