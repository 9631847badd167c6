"""One frozen settings model, read from `SLIPWAY_*` environment variables.

`SLIPWAY_HOME` (default `./.slipway`) holds the embedded defaults: the MLflow SQLite
database (tracking and registry), the local artifact root and reports. Nothing is
created here; `ensure_home()` makes the directories when a command needs them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLIPWAY_", extra="forbid", frozen=True)

    home: Path = Path(".slipway")
    artifact_root: str | None = None
    """`s3://bucket/prefix` or a local directory; default `<home>/artifacts`."""
    tracking_uri: str | None = None
    """Any MLflow tracking URI; default `sqlite:///<home>/mlflow.db`."""
    registry_uri: str | None = None
    """MLflow registry URI; default: the tracking URI."""
    experiment: str = "slipway"
    model_name: str = "digits-mlp"
    """Registered model name used by the example and the demo."""
    webhook_secret: str | None = None
    """Shared secret of the MLflow webhook (`slipway webhooks serve` verifies X-MLflow-Signature
    with it)."""
    webhook_max_age_s: int = 300
    """Webhook deliveries older (or further in the future) than this are refused as stale."""
    gateway_url: str | None = None
    """The gateway a canary reads `/metrics` from when none is given (the canary-release
    deployment sets it as a job variable: the trigger's parameters cannot overwrite it)."""
    prometheus_url: str | None = None
    """A Prometheus server a canary reads instead of the gateway, when none is given."""

    @field_validator("artifact_root")
    @classmethod
    def _no_blank_root(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(
                "SLIPWAY_ARTIFACT_ROOT is empty: unset it or give a directory or s3://bucket/prefix"
            )
        return value

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def resolved_artifact_root(self) -> str:
        return self.artifact_root or str(self.home_dir / "artifacts")

    @property
    def resolved_tracking_uri(self) -> str:
        return self.tracking_uri or f"sqlite:///{self.home_dir / 'mlflow.db'}"

    @property
    def resolved_registry_uri(self) -> str:
        return self.registry_uri or self.resolved_tracking_uri

    @property
    def reports_dir(self) -> Path:
        return self.home_dir / "reports"

    @property
    def mlflow_artifacts_dir(self) -> Path:
        return self.home_dir / "mlruns"

    def ensure_home(self) -> Path:
        """Create SLIPWAY_HOME and its local folders; return the home path."""
        for path in (self.home_dir, self.reports_dir, self.mlflow_artifacts_dir):
            path.mkdir(parents=True, exist_ok=True)
        if not self.resolved_artifact_root.startswith("s3://"):
            Path(self.resolved_artifact_root).mkdir(parents=True, exist_ok=True)
        return self.home_dir


def get_settings() -> Settings:
    """Read settings from the environment now (not cached: tests change the environment)."""
    from pydantic import ValidationError

    from slipway.errors import ConfigError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"SLIPWAY_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"bad slipway settings: {problems}") from None
