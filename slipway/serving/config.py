"""Gateway configuration (from `slipway serve` flags)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ServeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    models: list[str] = Field(min_length=1)
    host: str = "127.0.0.1"
    port: int = 8080
    keys_file: Path | None = None
    auth: bool = True
    """False only with --no-auth (local demos); a warning is logged at start."""
    enable_admin: bool = False
    poll_interval_s: float = Field(5.0, gt=0)
    max_body_bytes: int = Field(1_048_576, ge=1)
    request_timeout_s: float = Field(5.0, gt=0)
    rate_limit: float | None = Field(None, ge=0)
    """Requests per second per key (token bucket); None = no limit."""
    rate_burst: int | None = Field(None, ge=1)
    max_batch_rows: int = Field(64, ge=1)
    max_wait_ms: float = Field(0.0, ge=0)
    batch_worker: Literal["loop", "thread"] = "loop"
    """loop: batch and run on the event loop (small models); thread: a worker thread per version."""
    threads: int | None = Field(None, ge=1)
    profile_window_s: float = Field(300.0, gt=0)
    profile_sample: float = Field(0.1, ge=0, le=1)
    replica_id: str = Field("", pattern=r"^[A-Za-z0-9._-]*$")
    drain_delay_s: float = Field(0.0, ge=0)
    """Seconds readiness reports false before the listener closes (let load balancers notice)."""
    drain_window_s: float = Field(10.0, gt=0)
    """Seconds in-flight requests get to finish after the listener closes."""
    shadow_max_pending: int = Field(256, ge=0)
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    access_log: bool = True
    max_retry_s: float = Field(300.0, gt=0)
    """Longest wait between two tries of a version that failed to load (backoff doubles to it)."""
    grpc_port: int | None = Field(None, ge=0, le=65535)
    """Serve the KServe v2 gRPC service on this port too (None: HTTP only)."""
    header_timeout_s: float = Field(10.0, gt=0)
    """Close a connection whose request headers have not all arrived in this time (408)."""
    body_timeout_s: float = Field(10.0, gt=0)
    """Close a connection whose request body has not all arrived in this time (408)."""
    keep_alive_s: float = Field(5.0, gt=0)
    """Close an idle keep-alive connection after this long."""
    max_connections: int = Field(1024, ge=1)
    """Open connections per process; more are answered 503 and closed."""
    workers: int = Field(1, ge=1, le=64)
    """Processes sharing the port (each loads the models; metrics are summed across them)."""
    worker_index: int | None = None
    """Set by the supervisor in each worker process (profile streams, logs)."""
