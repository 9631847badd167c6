"""What a command needs, checked before its flow starts: fail in about a second, in one line.

`require(...)` probes the services a command uses (the artifact store's bucket takes a write,
the MLflow server and the Prefect API answer) with short timeouts and raises `ConfigError`
naming the thing and the fix; the flow never starts, so nothing is trained and then lost.

`prepare_environment()` runs for every command: a longer wait for the ephemeral Prefect API
(a loaded machine can take more than Prefect's 20 s to start it), and, unless `--debug`, no
traceback in Prefect's own log lines for a `BadInput` or a `GateFailed` (the CLI prints the
one-line error itself).
"""

from __future__ import annotations

import logging
import os

from slipway.errors import ConfigError

EPHEMERAL_TIMEOUT_VAR = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
EPHEMERAL_TIMEOUT_S = 120
"""Prefect's default is 20 s, too short beside other work on a shared 2-core machine."""
EPHEMERAL_TIMEOUT_MARK = "Timed out while attempting to connect to ephemeral Prefect API"
PREFECT_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
PROBE_TIMEOUT_S = 2.0
START_STACK = "start `slipway up` (then export PREFECT_API_URL=http://127.0.0.1:4200/api)"


class NoSlipwayTracebacks(logging.Filter):
    """Drop the traceback of a Prefect run log record whose exception is a SlipwayError (a bad
    input, a failed gate): its message is already one line and the CLI prints it."""

    def filter(self, record: logging.LogRecord) -> bool:
        from slipway.errors import SlipwayError

        if record.exc_info and isinstance(record.exc_info[1], SlipwayError):
            record.exc_info, record.exc_text = None, None
        return True


def prepare_environment(debug: bool = False) -> None:
    os.environ.setdefault(EPHEMERAL_TIMEOUT_VAR, str(EPHEMERAL_TIMEOUT_S))
    if not debug:
        for name in PREFECT_RUN_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, NoSlipwayTracebacks) for f in logger.filters):
                logger.addFilter(NoSlipwayTracebacks())


def ephemeral_timeout_message(exc: BaseException) -> str | None:
    """The one line for Prefect's 'timed out ... ephemeral Prefect API server' error, else None."""
    if EPHEMERAL_TIMEOUT_MARK not in str(exc):
        return None
    waited = os.environ.get(EPHEMERAL_TIMEOUT_VAR, str(EPHEMERAL_TIMEOUT_S))
    return (
        f"the ephemeral Prefect API did not start within {waited} s (a loaded machine): "
        f"{START_STACK} and rerun, or raise {EPHEMERAL_TIMEOUT_VAR}"
    )


def prefect_api_url() -> str | None:
    """PREFECT_API_URL from the environment, else from the active Prefect profile."""
    url = os.environ.get("PREFECT_API_URL")
    if url:
        return url
    try:
        from prefect.settings import PREFECT_API_URL

        return PREFECT_API_URL.value()
    except Exception:
        return None


def _answers(url: str) -> str | None:
    """None when `url` answers below HTTP 400, else why not."""
    import httpx

    try:
        response = httpx.get(url, timeout=PROBE_TIMEOUT_S)
    except httpx.HTTPError as exc:
        return f"does not answer ({type(exc).__name__})"
    if response.status_code >= 400:
        return f"answered HTTP {response.status_code}"
    return None


def check_prefect() -> None:
    url = prefect_api_url()
    if not url:
        return  # flows start an ephemeral API; its start-up timeout is handled by the CLI
    problem = _answers(url.rstrip("/") + "/health")
    if problem:
        raise ConfigError(
            f"Prefect API {url} (PREFECT_API_URL) {problem}: start it (`slipway up`), "
            "or unset PREFECT_API_URL to run on an ephemeral API"
        )


def check_mlflow() -> None:
    from slipway.settings import get_settings

    settings = get_settings()
    uri = settings.resolved_tracking_uri
    if uri.startswith(("http://", "https://")):
        problem = _answers(uri.rstrip("/") + "/health")
        if problem:
            raise ConfigError(
                f"MLflow tracking server {uri} (SLIPWAY_TRACKING_URI) {problem}: start it "
                "(`slipway up` starts one on port 5000) or fix SLIPWAY_TRACKING_URI"
            )
    elif uri.startswith("sqlite:///"):
        from pathlib import Path

        where = Path(uri[len("sqlite:///") :]).parent
        while not where.exists():
            where = where.parent
        if not os.access(where, os.W_OK):
            raise ConfigError(
                f"MLflow database {uri}: {where} is not writable; set SLIPWAY_HOME to a "
                "writable directory"
            )


def check_store() -> None:
    """The artifact store takes a write: a local root is (or can be made) a writable directory;
    an s3:// bucket exists and accepts a probe object."""
    from slipway.settings import get_settings

    root = get_settings().resolved_artifact_root
    if root.startswith("s3://"):
        import boto3
        from botocore.config import Config

        from slipway.store import S3Store

        client = boto3.session.Session().client(
            "s3",
            config=Config(
                connect_timeout=PROBE_TIMEOUT_S,
                read_timeout=PROBE_TIMEOUT_S * 2,
                retries={"max_attempts": 1},
            ),
        )
        try:
            S3Store(root, client=client).check_writable()
        except ConfigError as exc:
            raise ConfigError(f"artifact store {root} (SLIPWAY_ARTIFACT_ROOT): {exc}") from None
        return
    from pathlib import Path

    where = Path(root).expanduser()
    while not where.exists():
        where = where.parent
    if not where.is_dir() or not os.access(where, os.W_OK):
        raise ConfigError(
            f"artifact store {root} (SLIPWAY_ARTIFACT_ROOT): {where} is not a writable "
            "directory; give a writable directory or s3://bucket/prefix"
        )


def require(*, store: bool = False, mlflow: bool = True, prefect: bool = True) -> None:
    """Check the services a command needs, cheapest first; raise ConfigError on the first
    that is not usable."""
    if store:
        check_store()
    if mlflow:
        check_mlflow()
    if prefect:
        check_prefect()


def require_files(*refs: str | None, what: str = "input") -> None:
    """Each local path among `refs` exists and is readable ('<what> <path>: no such file');
    s3://, store:, models:/, runs:/ and http(s) are checked where they are read."""
    from pathlib import Path

    from slipway.errors import BadInput

    for ref in refs:
        if not ref or "://" in ref or ref.startswith(("store:", "models:/", "runs:/")):
            continue
        path = Path(ref).expanduser()
        if not path.exists():
            raise BadInput(f"{what} {ref}: no such file or directory; check the path")
        if path.is_file() and not os.access(path, os.R_OK):
            raise BadInput(f"{what} {ref}: not readable; check its permissions")
