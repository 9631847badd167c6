"""Test harness: one Prefect test API per session, a temp SLIPWAY_HOME per test, moto's S3
server."""

from __future__ import annotations

import os
import socket

import pytest

import slipway  # noqa: F401  (sets telemetry opt-outs before anything else imports)

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(n: int) -> list[int]:
    """n free loopback ports, all different (each socket stays bound until all are chosen:
    n calls of free_port() may return the same port twice)."""
    import contextlib

    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


@pytest.fixture(scope="session", autouse=True)
def prefect_api():
    """One Prefect API (temporary database) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(autouse=True)
def slipway_home(tmp_path, monkeypatch):
    """Every test gets its own SLIPWAY_HOME (MLflow DB, artifacts, reports)."""
    home = tmp_path / "slipway-home"
    monkeypatch.setenv("SLIPWAY_HOME", str(home))
    for var in ("SLIPWAY_ARTIFACT_ROOT", "SLIPWAY_TRACKING_URI", "SLIPWAY_REGISTRY_URI"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def s3_server():
    """moto's standalone S3 server on 127.0.0.1: a real HTTP S3 endpoint."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """Credentials and endpoint for the moto server; returns the endpoint URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return s3_server


@pytest.fixture
def s3_bucket(s3_env):
    """A fresh bucket on the moto server; returns its name."""
    import uuid

    import boto3

    name = f"slipway-test-{uuid.uuid4().hex[:10]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory):
    """The SLIPWAY_HOME of the session's `trained` run (its MLflow DB holds that run)."""
    return tmp_path_factory.mktemp("trained-home")


@pytest.fixture(scope="session")
def trained(trained_home):
    """One real `train` flow run shared by tests that need a model and its data (read-only)."""
    import pytest as _pytest

    home = trained_home
    mp = _pytest.MonkeyPatch()
    mp.setenv("SLIPWAY_HOME", str(home))
    try:
        from flows.train import train
        from slipway.train.params import TrainParams

        result = train(TrainParams(max_iter=60))
    finally:
        mp.undo()
    return result


@pytest.fixture(scope="session")
def candidate_dir(trained, tmp_path_factory):
    """A real candidate directory (ONNX FP32 + ORT INT8 dynamic, accepted) built from `trained`.

    Read-only: copy it (shutil.copytree) before changing anything in it.
    """
    from slipway.data import read_table
    from slipway.modelio import load_sklearn
    from tests.support.candidates import build_candidate_dir

    model = load_sklearn(trained.model_uri)
    reference = read_table(trained.data_uris["reference"])
    return build_candidate_dir(
        model, reference, trained.target_column, tmp_path_factory.mktemp("candidates")
    )
