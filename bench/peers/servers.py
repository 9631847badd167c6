"""The servers of the peers benchmark: how each is started and how it is asked for one row.

A `Target` is one row family of the table: a URL on a running server, the request body for
a list of rows (one row under load), the headers it needs, and how to read the predicted
classes out of its answer. A starter launches one server (several targets can share it:
slipway's /v1 and OIP v2 routes, MLServer's two model settings) and returns its targets.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.peers import venvs
from bench.peers.procs import ServerProcess, free_port, run_checked

PEERS_DIR = Path(__file__).resolve().parent
REPO = PEERS_DIR.parents[1]
JSON = "application/json"
# the table's server order; `--only` takes these names
ORDER = ("bare", "slipway", "mlserver", "litserve", "bentoml", "mlflow")
# peer -> the package whose version the table names (each has bench/peers/requirements-<peer>.txt)
PEER_PACKAGES = {peer: peer for peer in ("mlserver", "litserve", "bentoml", "mlflow")}


@dataclass(frozen=True)
class Target:
    label: str
    server: str
    port: int
    path: str
    body: Callable[[list[list[float]]], str]
    classes: Callable[[dict], list[int]]
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": JSON})
    min_connections: int = 1  # measured only at this many connections or more

    def runs_at(self, connections: int) -> bool:
        return connections >= self.min_connections


@dataclass
class Setup:
    """What every starter needs: the model file, the slipway home and name, a work folder."""

    model: Path
    model_name: str
    slipway_home: Path
    work: Path
    versions: dict[str, str] = field(default_factory=dict)

    def log(self, text: str) -> None:
        print(f"[serving-peers] {text}", file=sys.stderr, flush=True)

    def launch(self, name: str, cmd: list, env: dict, port: int, ready: str, cwd=None):
        proc = ServerProcess(
            name, [str(c) for c in cmd], env=env, cwd=cwd or self.work, log_dir=self.work
        )
        try:
            proc.wait_http(port, ready)
        except BaseException:
            proc.stop()
            raise
        return proc

    def peer(self, peer: str) -> tuple[Path, str]:
        """The peer's venv python (created on first use) and its package version."""
        python = venvs.ensure(peer, log=self.log)
        version = venvs.installed_version(python, PEER_PACKAGES[peer])
        self.versions[peer] = version
        return python, version


def instances(rows) -> str:
    return json.dumps({"instances": rows})


def oip_request(rows) -> str:
    flat = [v for row in rows for v in row]
    tensor = {"name": "input", "shape": [len(rows), len(rows[0])], "datatype": "FP32"}
    return json.dumps({"inputs": [{**tensor, "data": flat}]})


def oip_label(answer: dict) -> list[int]:
    return next(o for o in answer["outputs"] if o["name"] == "label")["data"]


def label(answer: dict) -> list[int]:
    return answer["label"]


def _peer_env(python: Path, **extra: str) -> dict:
    """A clean environment for a peer: its venv first on PATH, this folder importable."""
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    keep = {k: v for k, v in os.environ.items() if k not in drop}
    path = f"{python.parent}{os.pathsep}{keep.get('PATH', '')}"
    return {
        **keep,
        "PATH": path,
        "VIRTUAL_ENV": str(python.parents[1]),
        "PYTHONPATH": str(PEERS_DIR),
        "DO_NOT_TRACK": "1",
        "BENTOML_DO_NOT_TRACK": "True",
        **extra,
    }


def _project_env(**extra: str) -> dict:
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": pythonpath, **extra}


def start_bare(s: Setup) -> tuple[ServerProcess, list[Target]]:
    port = free_port()
    cmd = [sys.executable, PEERS_DIR / "bare.py", "--model", s.model, "--port", port]
    proc = s.launch("bare", cmd, dict(os.environ), port, "/health")
    return proc, [
        Target("bare Starlette + orjson + ORT", "bare", port, "/predict", instances, label)
    ]


def start_slipway(s: Setup) -> tuple[ServerProcess, list[Target]]:
    """`slipway serve` with its defaults: auth (a Bearer key), validation, metrics, access
    log, profile sampling. Only the model, the port and the keys file are given."""
    env = _project_env(SLIPWAY_HOME=str(s.slipway_home))
    keys, slipway = s.work / "keys.json", [sys.executable, "-m", "slipway", "serve"]
    add_key = [*slipway, "--add-key", "bench", "--keys-file", str(keys)]
    key = run_checked(add_key, "slipway serve --add-key", env=env).strip().splitlines()[-1]
    port = free_port()
    cmd = [
        *slipway,
        "--host",
        "127.0.0.1",
        "--port",
        port,
        "--models",
        s.model_name,
        "--keys-file",
        keys,
    ]
    proc = s.launch("slipway", cmd, env, port, "/v2/health/ready")
    headers = {"Content-Type": JSON, "Authorization": f"Bearer {key}"}
    v1, v2 = f"/v1/models/{s.model_name}:predict", f"/v2/models/{s.model_name}/infer"
    return proc, [
        Target(
            "slipway gateway, defaults, /v1",
            "slipway",
            port,
            v1,
            instances,
            lambda a: a["predictions"],
            headers,
        ),
        Target(
            "slipway gateway, defaults, OIP v2",
            "slipway",
            port,
            v2,
            oip_request,
            oip_label,
            headers,
        ),
    ]


def start_mlserver(s: Setup) -> tuple[ServerProcess, list[Target]]:
    """One MLServer (parallel_workers 0: inference on the server's own event loop, no worker
    process) with two model settings over the same file: plain, and adaptive batching of up
    to 8 requests or 2 ms (measured only with more than one connection)."""
    python, version = s.peer("mlserver")
    repo = s.work / "mlserver"
    port, grpc_port, metrics_port = free_port(), free_port(), free_port()
    settings = {
        "host": "127.0.0.1",
        "http_port": port,
        "grpc_port": grpc_port,
        "metrics_port": metrics_port,
        "parallel_workers": 0,
        "metrics_dir": str(repo / ".metrics"),
        "environments_dir": str(repo / ".envs"),
    }
    models = {"digits": {}, "digits-batched": {"max_batch_size": 8, "max_batch_time": 0.002}}
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "settings.json").write_text(json.dumps(settings, indent=2))
    for name, extra in models.items():
        (repo / name).mkdir(exist_ok=True)
        model_settings = {
            "name": name,
            "implementation": "mlserver_onnx.OnnxModel",
            "parameters": {"uri": str(s.model)},
            **extra,
        }
        (repo / name / "model-settings.json").write_text(json.dumps(model_settings, indent=2))
    cmd = [python.parent / "mlserver", "start", repo]
    proc = s.launch(
        "mlserver", cmd, _peer_env(python), port, "/v2/models/digits-batched/ready", cwd=repo
    )
    return proc, [
        Target(
            f"MLServer {version}, ORT MLModel, parallel_workers 0",
            "mlserver",
            port,
            "/v2/models/digits/infer",
            oip_request,
            oip_label,
        ),
        Target(
            f"MLServer {version}, same, adaptive batching (8, 2 ms)",
            "mlserver",
            port,
            "/v2/models/digits-batched/infer",
            oip_request,
            oip_label,
            min_connections=2,
        ),
    ]


def start_litserve(s: Setup) -> tuple[ServerProcess, list[Target]]:
    python, version = s.peer("litserve")
    port = free_port()
    cmd = [python, PEERS_DIR / "litserve_app.py", "--model", s.model, "--port", port]
    proc = s.launch("litserve", cmd, _peer_env(python), port, "/health")
    return proc, [Target(f"LitServe {version}", "litserve", port, "/predict", instances, label)]


def start_bentoml(s: Setup) -> tuple[ServerProcess, list[Target]]:
    python, version = s.peer("bentoml")
    port = free_port()
    env = _peer_env(python, BENCH_PEERS_MODEL=str(s.model), BENTOML_HOME=str(s.work / "bentoml"))
    cmd = [
        python.parent / "bentoml",
        "serve",
        "bentoml_service:Digits",
        "--working-dir",
        PEERS_DIR,
        "--host",
        "127.0.0.1",
        "--port",
        port,
    ]
    proc = s.launch("bentoml", cmd, env, port, "/readyz")
    return proc, [Target(f"BentoML {version}", "bentoml", port, "/predict", instances, label)]


def start_mlflow(s: Setup) -> tuple[ServerProcess, list[Target]]:
    """`mlflow models serve` of the same ONNX file saved with MLflow's onnx flavor."""
    python, version = s.peer("mlflow")
    model_dir = s.work / "mlflow-model"
    env = _peer_env(python, MLFLOW_TRACKING_URI=f"sqlite:///{s.work / 'mlflow-peer.db'}")
    save = [str(python), str(PEERS_DIR / "mlflow_model.py"), str(s.model), str(model_dir)]
    run_checked(save, "saving the MLflow onnx-flavor model", env=env, cwd=s.work)
    port = free_port()
    cmd = [
        python.parent / "mlflow",
        "models",
        "serve",
        "-m",
        model_dir,
        "--env-manager",
        "local",
        "-h",
        "127.0.0.1",
        "-p",
        port,
    ]
    proc = s.launch("mlflow", cmd, env, port, "/ping")
    body = lambda rows: json.dumps({"inputs": rows})  # noqa: E731
    return proc, [
        Target(
            f"mlflow models serve {version} (onnx flavor)",
            "mlflow",
            port,
            "/invocations",
            body,
            lambda a: a["predictions"]["label"],
        )
    ]


STARTERS = {
    "bare": start_bare,
    "slipway": start_slipway,
    "mlserver": start_mlserver,
    "litserve": start_litserve,
    "bentoml": start_bentoml,
    "mlflow": start_mlflow,
}
