"""What `slipway up` was asked for: ports, services, and the multi-replica stack's knobs.

One frozen record that every service builder reads (`slipway.stack.services`,
`slipway.stack.cluster`, `slipway.stack.front`). With `replicas > 0` the stack is the one a
cluster runs, on loopback: the artifact store is S3 (moto's standalone server, or
`s3_endpoint`), the registry is the MLflow server, N gateway replicas sit behind HAProxy, and
with `prometheus` a Prometheus server scrapes every replica.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from slipway.stack.supervisor import LOOPBACK

WORK_POOL = "slipway-local"
MOTO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
"""moto accepts any credentials; these keep boto3 from looking for real ones."""


@dataclass(frozen=True)
class UpOptions:
    home: Path
    prefect_port: int = 4200
    mlflow_port: int = 5000
    worker: bool = True
    prefect: bool = True
    """False: no Prefect server nor worker (the serving stack only)."""
    work_pool: str = WORK_POOL
    allow_http_webhooks: bool = False
    """Let the MLflow server deliver webhooks to http:// and private (loopback) addresses."""
    mlflow_jobs: bool = False
    """MLflow's job runner (several worker processes, ~1.4 GB): off unless asked for."""
    # -- the multi-replica stack ---------------------------------------------------------------
    replicas: int = 0
    prometheus: bool = False
    gateway_port: int = 8080
    """The load balancer's port; replica i listens on gateway_port + i (i = 1..N)."""
    replica_ports: tuple[int, ...] = ()
    """Explicit replica ports (tests pick free ones); default gateway_port + 1 .. + N."""
    prometheus_port: int = 9090
    s3_port: int = 9000
    s3_endpoint: str | None = None
    """A user-given S3 endpoint (its credentials from the environment); None: moto's server."""
    bucket: str = "slipway"
    models: tuple[str, ...] = ("digits-mlp",)
    poll_interval_s: float = 5.0
    """How often each replica re-reads the registry (champion alias, routing tag)."""
    drain_delay_s: float = 2.0
    """A replica stays up, answering not-ready, this long after SIGTERM: longer than the load
    balancer needs to take it out of the pool (`health_interval_ms` x `health_fall`)."""
    health_interval_ms: int = 500
    health_fall: int = 2
    profile_window_s: float = 300.0
    profile_sample: float = 0.1
    scrape_interval_s: float = 5.0
    gateway_args: tuple[str, ...] = ()
    """More `slipway serve` flags for every replica."""

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

    @property
    def config_dir(self) -> Path:
        """Generated configuration files (HAProxy, Prometheus)."""
        return self.home / "stack"

    # -- S3 ----------------------------------------------------------------------------------
    @property
    def uses_s3(self) -> bool:
        return self.replicas > 0 or self.s3_endpoint is not None

    @property
    def runs_moto(self) -> bool:
        return self.uses_s3 and self.s3_endpoint is None

    @property
    def s3_url(self) -> str:
        return self.s3_endpoint or f"http://{LOOPBACK}:{self.s3_port}"

    @property
    def artifact_root(self) -> str:
        return f"s3://{self.bucket}/artifacts"

    @property
    def mlflow_artifact_root(self) -> str:
        return f"s3://{self.bucket}/mlflow" if self.uses_s3 else (self.home / "mlruns").as_uri()

    def s3_env(self) -> dict[str, str]:
        """What a client of the stack's S3 needs in its environment."""
        if not self.uses_s3:
            return {}
        env = {"AWS_ENDPOINT_URL": self.s3_url, "MLFLOW_S3_ENDPOINT_URL": self.s3_url}
        return {**env, **MOTO_CREDENTIALS} if self.runs_moto else env

    def client_env(self) -> dict[str, str]:
        """The environment a process needs to use this stack's registry and store."""
        env = {"SLIPWAY_TRACKING_URI": self.mlflow_url, **self.s3_env()}
        if self.uses_s3:
            env["SLIPWAY_ARTIFACT_ROOT"] = self.artifact_root
        return env

    # -- replicas ----------------------------------------------------------------------------
    @property
    def replica_port_list(self) -> list[int]:
        if self.replica_ports:
            return list(self.replica_ports)
        return [self.gateway_port + i for i in range(1, self.replicas + 1)]

    @property
    def replica_names(self) -> list[str]:
        return [f"replica-{i}" for i in range(1, self.replicas + 1)]

    @property
    def gateway_url(self) -> str:
        return f"http://{LOOPBACK}:{self.gateway_port}"

    @property
    def replica_urls(self) -> list[str]:
        return [f"http://{LOOPBACK}:{port}" for port in self.replica_port_list]

    @property
    def prometheus_url(self) -> str:
        return f"http://{LOOPBACK}:{self.prometheus_port}"

    @property
    def keys_file(self) -> Path:
        return self.home / "keys.json"


def project_dir() -> Path:
    """The checkout holding flows/, prefect.yaml and infra/ (deployments pull from it)."""
    return Path(os.environ.get("SLIPWAY_PROJECT_DIR") or Path(__file__).resolve().parents[2])
