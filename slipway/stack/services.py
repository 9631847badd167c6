"""The local stack of `slipway up`: a Prefect server, an MLflow server and a Prefect worker.

Each service is one builder `(UpOptions) -> ServiceSpec | None` in `SERVICE_BUILDERS`;
`slipway up` starts the list in order of need (see `slipway.stack.supervisor`). To add a
service, write a builder and append it there. Everything binds to 127.0.0.1 and keeps
its state under SLIPWAY_HOME: `prefect.db` (Prefect's SQLite), `mlflow.db` (the same
tracking/registry database the embedded default uses), `mlruns/` (artifacts) and
`logs/<service>.log`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from slipway.stack.supervisor import LOOPBACK, ServiceFailed, ServiceSpec, http_ok

WORK_POOL = "slipway-local"


@dataclass(frozen=True)
class UpOptions:
    home: Path
    prefect_port: int = 4200
    mlflow_port: int = 5000
    worker: bool = True
    work_pool: str = WORK_POOL

    @property
    def prefect_url(self) -> str:
        return f"http://{LOOPBACK}:{self.prefect_port}"

    @property
    def prefect_api_url(self) -> str:
        return f"{self.prefect_url}/api"

    @property
    def mlflow_url(self) -> str:
        return f"http://{LOOPBACK}:{self.mlflow_port}"

    @property
    def worker_name(self) -> str:
        return f"slipway-up-{os.getpid()}"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"


def prefect_server(opts: UpOptions) -> ServiceSpec:
    return ServiceSpec(
        name="prefect",
        argv=[
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            LOOPBACK,
            "--port",
            str(opts.prefect_port),
        ],
        env={
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": (
                f"sqlite+aiosqlite:///{opts.home / 'prefect.db'}"
            ),
            "PREFECT_API_URL": opts.prefect_api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        },
        ready=lambda: http_ok(f"{opts.prefect_api_url}/health"),
        url=opts.prefect_url,
        port=opts.prefect_port,
        port_flag="--prefect-port",
        on_ready=lambda: ensure_work_pool(opts.prefect_api_url, opts.work_pool),
    )


def mlflow_server(opts: UpOptions) -> ServiceSpec:
    # Artifacts go straight to <home>/mlruns (no proxying), the same place the embedded
    # default uses, so runs logged with or without the server stay readable by both.
    return ServiceSpec(
        name="mlflow",
        argv=[
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            LOOPBACK,
            "--port",
            str(opts.mlflow_port),
            "--backend-store-uri",
            f"sqlite:///{opts.home / 'mlflow.db'}",
            "--default-artifact-root",
            (opts.home / "mlruns").as_uri(),
            "--no-serve-artifacts",
            "--workers",
            "1",
        ],
        env={"MLFLOW_ENABLE_TELEMETRY": "false"},
        ready=lambda: http_ok(f"{opts.mlflow_url}/health"),
        url=opts.mlflow_url,
        port=opts.mlflow_port,
        port_flag="--mlflow-port",
    )


def prefect_worker(opts: UpOptions) -> ServiceSpec | None:
    if not opts.worker:
        return None
    return ServiceSpec(
        name="worker",
        argv=[
            sys.executable,
            "-m",
            "prefect",
            "worker",
            "start",
            "--pool",
            opts.work_pool,
            "--type",
            "process",
            "--name",
            opts.worker_name,
        ],
        env={"PREFECT_API_URL": opts.prefect_api_url, "SLIPWAY_PROJECT_DIR": str(project_dir())},
        ready=lambda: worker_registered(opts.prefect_api_url, opts.work_pool, opts.worker_name),
        url=f"pool {opts.work_pool}",
        needs=("prefect",),
    )


SERVICE_BUILDERS: list[Callable[[UpOptions], ServiceSpec | None]] = [
    prefect_server,
    mlflow_server,
    prefect_worker,
]


def build_specs(opts: UpOptions) -> list[ServiceSpec]:
    return [spec for build in SERVICE_BUILDERS if (spec := build(opts)) is not None]


def project_dir() -> Path:
    """The checkout holding flows/ and prefect.yaml (deployments pull from it)."""
    return Path(os.environ.get("SLIPWAY_PROJECT_DIR") or Path(__file__).resolve().parents[2])


def ensure_work_pool(api_url: str, name: str) -> bool:
    """Create the `process` work pool `name` unless it exists; True when it was created.

    Created by the Prefect CLI in a child process (`prefect work-pool create --type process`,
    which fills in the process worker's default job template): slipway's library does not
    import Prefect."""
    import httpx

    def exists() -> bool:
        found = httpx.get(f"{api_url}/work_pools/{name}", timeout=10)
        if found.status_code not in (200, 404):
            raise ServiceFailed(
                f"Prefect at {api_url}: reading work pool {name} answered {found.status_code}"
            )
        return found.status_code == 200

    if exists():
        return False
    command = [
        sys.executable,
        "-m",
        "prefect",
        "work-pool",
        "create",
        name,
        "--type",
        "process",
        "--no-prompt",
    ]
    env = {**os.environ, "PREFECT_API_URL": api_url}
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        raise ServiceFailed(
            f"Prefect at {api_url}: creating work pool {name} took over 180 s"
        ) from None
    if done.returncode != 0:
        if exists():  # created meanwhile by someone else
            return False
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ServiceFailed(
            f"Prefect at {api_url}: creating work pool {name} failed: {tail[0][:200]}"
        )
    return True


def worker_registered(api_url: str, pool: str, worker_name: str) -> bool:
    """True once the worker has sent its first heartbeat to the pool."""
    import httpx

    try:
        answer = httpx.post(f"{api_url}/work_pools/{pool}/workers/filter", json={}, timeout=5)
    except httpx.HTTPError:
        return False
    return answer.is_success and any(w.get("name") == worker_name for w in answer.json())
