"""MLflow tracking: point MLflow at the configured URIs when a command needs it.

Nothing happens at import. `configure_mlflow()` sets the tracking and registry URIs and
the experiment (with the local artifact root for the embedded SQLite default).
"""

from __future__ import annotations

from slipway.errors import ConfigError
from slipway.settings import Settings, get_settings


def configure_mlflow(settings: Settings | None = None) -> str:
    """Set MLflow's tracking/registry URIs and experiment; return the experiment id."""
    import mlflow

    settings = settings or get_settings()
    uri = settings.resolved_tracking_uri
    if uri.startswith("sqlite:"):
        settings.ensure_home()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(settings.resolved_registry_uri)
    try:
        experiment = mlflow.get_experiment_by_name(settings.experiment)
        if experiment is None:
            location = None
            if uri.startswith("sqlite:"):
                location = settings.mlflow_artifacts_dir.as_uri()
            experiment_id = mlflow.create_experiment(settings.experiment, artifact_location=location)
        else:
            experiment_id = experiment.experiment_id
        mlflow.set_experiment(experiment_id=experiment_id)
        return experiment_id
    except Exception as exc:  # MlflowException, connection errors: say which URI failed
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(
            f"MLflow at {uri} is not usable ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}): "
            "check SLIPWAY_TRACKING_URI or start the server"
        ) from exc


def active_run_id() -> str | None:
    import mlflow

    run = mlflow.active_run()
    return run.info.run_id if run else None
