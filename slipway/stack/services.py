"""The local stack of `slipway up`: a Prefect server, an MLflow server and a Prefect worker;
with `--replicas N` also S3, N gateway replicas, HAProxy and Prometheus
(`slipway.stack.cluster`, `slipway.stack.front`).

Each service is one builder `(UpOptions) -> ServiceSpec | list | None` in `SERVICE_BUILDERS`;
`slipway up` starts the list in order of need (see `slipway.stack.supervisor`). To add a
service, write a builder and append it there. Everything binds to 127.0.0.1 and keeps
its state under SLIPWAY_HOME: `prefect.db` (Prefect's SQLite), `mlflow.db` (the same
tracking/registry database the embedded default uses), `mlruns/` (artifacts, or the S3
bucket with replicas), `stack/` (generated configs) and `logs/<service>.log`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from slipway.stack import cluster, front
from slipway.stack.options import WORK_POOL, UpOptions, project_dir
from slipway.stack.orphans import crash_orphaned_runs
from slipway.stack.supervisor import LOOPBACK, ServiceFailed, ServiceSpec, http_ok

__all__ = ["WORK_POOL", "UpOptions", "build_specs", "project_dir"]


def prefect_server(opts: UpOptions) -> ServiceSpec | None:
    if not opts.prefect:
        return None
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
        on_ready=lambda: prefect_ready(opts),
    )


def prefect_ready(opts: UpOptions) -> None:
    """The work pool exists, and runs a previous `slipway up` left RUNNING in it are Crashed."""
    ensure_work_pool(opts.prefect_api_url, opts.work_pool)
    crashed = crash_orphaned_runs(opts.prefect_api_url, opts.work_pool)
    if crashed:
        print(
            f"  marked {len(crashed)} orphaned run(s) of pool {opts.work_pool!r} Crashed "
            f"(left running when slipway up last stopped): {', '.join(crashed)}",
            flush=True,
        )


def mlflow_server(opts: UpOptions) -> ServiceSpec:
    # Artifacts go straight to the artifact root (no proxying): <home>/mlruns, the same place the
    # embedded default uses, or the stack's S3 bucket, where every replica reads bundles from.
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
            opts.mlflow_artifact_root,
            "--no-serve-artifacts",
            "--workers",
            "1",
        ],
        env=mlflow_env(opts),
        ready=lambda: http_ok(f"{opts.mlflow_url}/health"),
        url=opts.mlflow_url,
        port=opts.mlflow_port,
        port_flag="--mlflow-port",
        needs=("s3",) if opts.runs_moto else (),
    )


def mlflow_env(opts: UpOptions) -> dict[str, str]:
    """MLflow's server settings: no telemetry; its job runner off unless asked for (several
    worker processes, ~1.4 GB); http webhooks to loopback only with --allow-http-webhooks."""
    env = {
        "MLFLOW_ENABLE_TELEMETRY": "false",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "true" if opts.mlflow_jobs else "false",
        **opts.s3_env(),
    }
    if opts.allow_http_webhooks:
        env["MLFLOW_WEBHOOK_ALLOWED_SCHEMES"] = "http,https"
        env["MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS"] = "true"
    return env


def prefect_worker(opts: UpOptions) -> ServiceSpec | None:
    if not (opts.worker and opts.prefect):
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
        # deployment runs use the MLflow server (one writer of mlflow.db), not the SQLite file
        env={
            "PREFECT_API_URL": opts.prefect_api_url,
            "SLIPWAY_PROJECT_DIR": str(project_dir()),
            **opts.client_env(),
        },
        ready=lambda: worker_registered(opts.prefect_api_url, opts.work_pool, opts.worker_name),
        url=f"pool {opts.work_pool}",
        needs=("prefect", "mlflow"),
    )


SERVICE_BUILDERS: list[Callable[[UpOptions], ServiceSpec | list[ServiceSpec] | None]] = [
    cluster.s3_server,
    prefect_server,
    mlflow_server,
    prefect_worker,
    cluster.gateway_replicas,
    front.load_balancer,
    front.prometheus_server,
]


def build_specs(opts: UpOptions) -> list[ServiceSpec]:
    specs: list[ServiceSpec] = []
    for build in SERVICE_BUILDERS:
        built = build(opts)
        if built is not None:
            specs.extend(built if isinstance(built, list) else [built])
    return specs


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
