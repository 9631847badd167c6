"""End to end: a version registered straight through a real `mlflow server` reaches the Prefect
event.

Given an `mlflow server` subprocess (SQLite backend) on a free loopback port, with MLflow's own
settings allowing http and private webhook URLs, and a webhook to the receiver with a secret,
when a notebook-style client registers a version and sets an alias,
then the receiver verifies the signed deliveries and the Prefect API holds the events.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from slipway import events
from slipway.webhooks.receiver import PATH, create_app
from tests.conftest import free_port
from tests.support.prefect_events import prefect_events
from tests.support.webhook_server import serving

SECRET = "e2e-secret"


@pytest.fixture
def mlflow_server(tmp_path):
    from cryptography.fernet import Fernet

    port = free_port()
    env = {
        **os.environ,
        "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
        "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
        "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "MLFLOW_WEBHOOK_CACHE_TTL": "1",
        "MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES": "1",
        "MLFLOW_WEBHOOK_REQUEST_TIMEOUT": "10",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }  # no job runner / huey consumers: faster, lighter
    cmd = [
        os.path.join(os.path.dirname(sys.executable), "mlflow"),
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend-store-uri",
        f"sqlite:///{tmp_path / 'server.db'}",
        "--default-artifact-root",
        str(tmp_path / "server-artifacts"),
        "--workers",
        "1",
    ]
    log = open(tmp_path / "mlflow-server.log", "wb")
    proc = subprocess.Popen(
        cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "mlflow server did not start: "
                    f"{(tmp_path / 'mlflow-server.log').read_text()[-2000:]}"
                )
            time.sleep(0.5)
        yield url
    finally:  # the server and the uvicorn it spawned: the process group this test started
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.mark.slow
def test_a_version_registered_through_mlflow_reaches_the_prefect_event(mlflow_server, tmp_path):
    from mlflow import MlflowClient

    name = f"notebook-model-{uuid.uuid4().hex[:6]}"
    with serving(create_app(SECRET)) as receiver:
        c = MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)
        c.create_webhook(
            name="slipway",
            url=f"{receiver}{PATH}",
            secret=SECRET,
            events=["model_version.created", "model_version_alias.created"],
        )
        c.create_webhook(
            name="wrong-secret",
            url=f"{receiver}{PATH}",
            secret="not-the-secret",
            events=["model_version.created"],
        )
        c.create_registered_model(name)
        version = c.create_model_version(name, source="s3://notebook-bucket/models/m1").version
        c.set_registered_model_alias(name, "candidate", version)
        resource = f"mlflow.model.{name}.{version}"
        registered = prefect_events(events.REGISTERED, resource)
        aliased = prefect_events(events.ALIAS_SET, resource)
    # the correctly signed delivery emitted exactly one event; the wrong-secret one was refused
    assert len(registered) == 1, registered
    assert registered[0].payload["name"] == name and registered[0].payload["version"] == str(
        version
    )
    assert registered[0].payload["via"] == "mlflow-webhook"
    assert aliased and aliased[0].payload["alias"] == "candidate"
