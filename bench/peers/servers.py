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
from bench.peers.procs import ServerProcess, free_port

PEERS_DIR = Path(__file__).resolve().parent
REPO = PEERS_DIR.parents[1]
JSON = "application/json"
# every server answers in the order of this list; `--only` takes these names
ORDER = ("bare", "slipway", "mlserver", "litserve", "bentoml", "mlflow")
PEER_PACKAGES = {
    "mlserver": "mlserver",
    "litserve": "litserve",
    "bentoml": "bentoml",
    "mlflow": "mlflow",
}


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


def instances(rows):
    return json.dumps({"instances": rows})


def oip_request(rows):
    flat = [v for row in rows for v in row]
    return json.dumps(
        {
            "inputs": [
                {
                    "name": "input",
                    "shape": [len(rows), len(rows[0])],
                    "datatype": "FP32",
                    "data": flat,
                }
            ]
        }
    )


def oip_label(answer: dict) -> list[int]:
    return next(o for o in answer["outputs"] if o["name"] == "label")["data"]


def _peer_env(python: Path, **extra: str) -> dict:
    """A clean environment for a peer: its venv first on PATH, this folder importable."""
    keep = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    return {
        **keep,
        "PATH": f"{python.parent}{os.pathsep}{keep.get('PATH', '')}",
        "VIRTUAL_ENV": str(python.parents[1]),
        "PYTHONPATH": str(PEERS_DIR),
        "DO_NOT_TRACK": "1",
        "BENTOML_DO_NOT_TRACK": "True",
        **extra,
    }


def start_bare(s: Setup) -> tuple[ServerProcess, list[Target]]:
    port = free_port()
    proc = ServerProcess(
        "bare",
        [sys.executable, str(PEERS_DIR / "bare.py"), "--model", str(s.model), "--port", str(port)],
        env=dict(os.environ),
        cwd=s.work,
        log_dir=s.work,
    )
    proc.wait_http(port, "/health")
    return proc, [
        Target(
            "bare Starlette + orjson + ORT",
            "bare",
            port,
            "/predict",
            instances,
            lambda a: a["label"],
        )
    ]


def start_slipway(s: Setup) -> tuple[ServerProcess, list[Target]]:
    """`slipway serve` with its defaults: auth (a Bearer key), validation, metrics, access
    log, profile sampling. Only the model, the port and the keys file are given."""
    import subprocess

    env = {
        **os.environ,
        "SLIPWAY_HOME": str(s.slipway_home),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    keys = s.work / "keys.json"
    key = (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "slipway",
                "serve",
                "--add-key",
                "bench",
                "--keys-file",
                str(keys),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    proc = ServerProcess(
        "slipway",
        [
            sys.executable,
            "-m",
            "slipway",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--models",
            s.model_name,
            "--keys-file",
            str(keys),
        ],
        env=env,
        cwd=s.work,
        log_dir=s.work,
    )
    proc.wait_http(port, "/v2/health/ready")
    headers = {"Content-Type": JSON, "Authorization": f"Bearer {key}"}
    name = s.model_name
    return proc, [
        Target(
            "slipway gateway, defaults, /v1",
            "slipway",
            port,
            f"/v1/models/{name}:predict",
            instances,
            lambda a: a["predictions"],
            headers,
        ),
        Target(
            "slipway gateway, defaults, OIP v2",
            "slipway",
            port,
            f"/v2/models/{name}/infer",
            oip_request,
            oip_label,
            headers,
        ),
    ]


def start_mlserver(s: Setup) -> tuple[ServerProcess, list[Target]]:
    """One MLServer (parallel_workers 0: inference on the server's own event loop, no worker
    process) with two model settings over the same file: plain, and adaptive batching of up
    to 8 requests or 2 ms (measured only with more than one connection)."""
    python = venvs.ensure("mlserver", log=s.log)
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
    (repo).mkdir(parents=True, exist_ok=True)
    (repo / "settings.json").write_text(json.dumps(settings, indent=2))
    for name, extra in models.items():
        (repo / name).mkdir(exist_ok=True)
        (repo / name / "model-settings.json").write_text(
            json.dumps(
                {
                    "name": name,
                    "implementation": "mlserver_onnx.OnnxModel",
                    "parameters": {"uri": str(s.model)},
                    **extra,
                },
                indent=2,
            )
        )
    proc = ServerProcess(
        "mlserver",
        [str(python.parent / "mlserver"), "start", str(repo)],
        env=_peer_env(python),
        cwd=repo,
        log_dir=s.work,
    )
    proc.wait_http(port, "/v2/models/digits-batched/ready")
    v = s.versions.setdefault("mlserver", venvs.installed_version(python, "mlserver"))
    return proc, [
        Target(
            f"MLServer {v}, ORT MLModel, parallel_workers 0",
            "mlserver",
            port,
            "/v2/models/digits/infer",
            oip_request,
            oip_label,
        ),
        Target(
            f"MLServer {v}, same, adaptive batching (8, 2 ms)",
            "mlserver",
            port,
            "/v2/models/digits-batched/infer",
            oip_request,
            oip_label,
            min_connections=2,
        ),
    ]


def start_litserve(s: Setup) -> tuple[ServerProcess, list[Target]]:
    python = venvs.ensure("litserve", log=s.log)
    port = free_port()
    proc = ServerProcess(
        "litserve",
        [
            str(python),
            str(PEERS_DIR / "litserve_app.py"),
            "--model",
            str(s.model),
            "--port",
            str(port),
        ],
        env=_peer_env(python),
        cwd=s.work,
        log_dir=s.work,
    )
    proc.wait_http(port, "/health")
    v = s.versions.setdefault("litserve", venvs.installed_version(python, "litserve"))
    return proc, [
        Target(f"LitServe {v}", "litserve", port, "/predict", instances, lambda a: a["label"])
    ]


def start_bentoml(s: Setup) -> tuple[ServerProcess, list[Target]]:
    python = venvs.ensure("bentoml", log=s.log)
    port = free_port()
    env = _peer_env(python, BENCH_PEERS_MODEL=str(s.model), BENTOML_HOME=str(s.work / "bentoml"))
    proc = ServerProcess(
        "bentoml",
        [
            str(python.parent / "bentoml"),
            "serve",
            "bentoml_service:Digits",
            "--working-dir",
            str(PEERS_DIR),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        cwd=s.work,
        log_dir=s.work,
    )
    proc.wait_http(port, "/readyz")
    v = s.versions.setdefault("bentoml", venvs.installed_version(python, "bentoml"))
    return proc, [
        Target(f"BentoML {v}", "bentoml", port, "/predict", instances, lambda a: a["label"])
    ]


def start_mlflow(s: Setup) -> tuple[ServerProcess, list[Target]]:
    """`mlflow models serve` of the same ONNX file saved with MLflow's onnx flavor."""
    import subprocess

    python = venvs.ensure("mlflow", log=s.log)
    model_dir = s.work / "mlflow-model"
    env = _peer_env(python, MLFLOW_TRACKING_URI=f"sqlite:///{s.work / 'mlflow-peer.db'}")
    subprocess.run(
        [str(python), str(PEERS_DIR / "mlflow_model.py"), str(s.model), str(model_dir)],
        env=env,
        cwd=s.work,
        check=True,
        capture_output=True,
    )
    port = free_port()
    proc = ServerProcess(
        "mlflow",
        [
            str(python.parent / "mlflow"),
            "models",
            "serve",
            "-m",
            str(model_dir),
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        env=env,
        cwd=s.work,
        log_dir=s.work,
    )
    proc.wait_http(port, "/ping")
    v = s.versions.setdefault("mlflow", venvs.installed_version(python, "mlflow"))
    return proc, [
        Target(
            f"mlflow models serve {v} (onnx flavor)",
            "mlflow",
            port,
            "/invocations",
            lambda rows: json.dumps({"inputs": rows}),
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
