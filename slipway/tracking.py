"""MLflow tracking behind one adapter: the configured URIs, one run per stage, run artifacts.

Nothing happens at import. `configure_mlflow()` sets the tracking and registry URIs and
the experiment (with the local artifact root for the embedded SQLite default). A stage logs
through `stage_run(...)`, a context manager yielding a `StageRun` (params, metrics, tags,
dicts, files); the model registry is slipway.registry's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from slipway.errors import BadInput, ConfigError
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
            experiment_id = mlflow.create_experiment(
                settings.experiment, artifact_location=location
            )
        else:
            experiment_id = experiment.experiment_id
        mlflow.set_experiment(experiment_id=experiment_id)
        return experiment_id
    except Exception as exc:  # MlflowException, connection errors: say which URI failed
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(
            f"MLflow at {uri} is not usable ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200]}): "
            "check SLIPWAY_TRACKING_URI or start the server"
        ) from exc


def active_run_id() -> str | None:
    import mlflow

    run = mlflow.active_run()
    return run.info.run_id if run else None


class StageRun:
    """The MLflow run of one stage. Everything a stage logs (parameters, metrics, tags, dicts,
    files, bytes) goes through these methods, so MLflow's run API is used in one place."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

    def log_params(self, params: dict[str, Any]) -> None:
        import mlflow

        mlflow.log_params(params)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        import mlflow

        mlflow.log_metrics(metrics, step=step)

    def set_tags(self, tags: dict[str, Any]) -> None:
        import mlflow

        mlflow.set_tags(tags)

    def log_dict(self, data: dict[str, Any], artifact_file: str) -> None:
        import mlflow

        mlflow.log_dict(data, artifact_file)

    def log_file(self, path: str | Path, folder: str | None = None) -> None:
        import mlflow

        mlflow.log_artifact(str(path), artifact_path=folder)

    def log_folder(self, directory: str | Path, folder: str) -> None:
        import mlflow

        mlflow.log_artifacts(str(directory), folder)

    def log_bytes(self, data: bytes, folder: str, filename: str) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / filename
            path.write_bytes(data)
            self.log_file(path, folder)


@contextmanager
def stage_run(
    stage: str,
    *,
    run_name: str | None = None,
    tags: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    resume: tuple[str, str] | None = None,
    settings: Settings | None = None,
) -> Iterator[StageRun]:
    """One MLflow run for a stage, tagged `slipway.stage`; ends when the block does.

    `resume=(tag, value)` appends to the newest run carrying that tag (e.g. the champion's
    monitoring run) instead of starting a new one.
    """
    import mlflow

    from slipway.core.tags import STAGE

    experiment_id = configure_mlflow(settings)
    run_id = None
    if resume is not None:
        found = mlflow.search_runs(
            experiment_ids=[experiment_id],
            max_results=1,
            output_format="list",
            filter_string=f"tags.`{resume[0]}` = '{resume[1]}'",
        )
        run_id = found[0].info.run_id if found else None
    with mlflow.start_run(
        run_id=run_id, run_name=None if run_id else (run_name or stage), experiment_id=experiment_id
    ) as run:
        logged = StageRun(run.info.run_id)
        logged.set_tags({STAGE: stage, **(tags or {})})
        if params:
            logged.log_params(params)
        yield logged


def active_run() -> StageRun | None:
    """The run a caller opened around this code (e.g. validate-data inside train), if any."""
    import mlflow

    run = mlflow.active_run()
    return StageRun(run.info.run_id) if run else None


def load_run_dict(run_id: str, artifact_file: str, hint: str, what: str = "run") -> dict[str, Any]:
    """A JSON artifact of a run; BadInput naming the run, the file and `hint` when absent."""
    import mlflow
    from mlflow.exceptions import MlflowException

    configure_mlflow()
    try:
        return mlflow.artifacts.load_dict(f"runs:/{run_id}/{artifact_file}")
    except (MlflowException, OSError):
        raise BadInput(f"{what} {run_id}: no {artifact_file} on that MLflow run ({hint})") from None


def download(uri: str, dest: str | Path) -> Path:
    """Download an MLflow artifact URI (`runs:/`, `models:/`, a version's source) to `dest`."""
    import mlflow

    return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(dest)))


def save_signature(
    path: str | Path, example, outputs: dict[str, Any], metadata: dict[str, Any]
) -> None:
    """An MLflow `MLmodel` file with the signature inferred from an input example and outputs
    (so the MLflow UI shows a bundle's inputs and outputs)."""
    from mlflow.models import Model, infer_signature

    model = Model(signature=infer_signature(example, outputs))
    model.metadata = metadata
    model.save(str(path))
