"""Gateway configuration (from `slipway serve` flags)."""

from __future__ import annotations

from pathlib import Path

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
