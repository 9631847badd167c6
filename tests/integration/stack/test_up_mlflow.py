"""The MLflow server `slipway up` starts (issue 19 item 11), run for real through its spec:
the job runner is off by default, and http webhooks to loopback need --allow-http-webhooks."""

from __future__ import annotations

import subprocess

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from slipway.stack.options import UpOptions
from slipway.stack.services import mlflow_server
from slipway.stack.supervisor import ServiceGroup
from tests.conftest import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
HOOK = {"name": "receiver", "url": "http://127.0.0.1:9/hook", "events": ["model_version.created"]}


def processes_in_group(pgid: int) -> int:
    out = subprocess.run(["ps", "-eo", "pgid="], capture_output=True, text=True, check=True)
    return sum(1 for line in out.stdout.split() if line == str(pgid))


def started(tmp_path, **kw):
    opts = UpOptions(home=tmp_path, prefect=False, mlflow_port=free_port(), **kw)
    group = ServiceGroup(opts.log_dir)
    group.start([mlflow_server(opts)], timeout_s=180)
    return opts, group


def test_by_default_no_job_runner_and_http_webhooks_are_refused(tmp_path):
    opts, group = started(tmp_path)
    with group:
        # MLflow's job runner would add ~8 worker processes (~1.4 GB); the server is one
        # process and its single uvicorn worker
        assert processes_in_group(group.pid("mlflow")) <= 3
        client = MlflowClient(tracking_uri=opts.mlflow_url, registry_uri=opts.mlflow_url)
        with pytest.raises(MlflowException, match="Invalid webhook URL scheme: 'http'"):
            client.create_webhook(**HOOK)


def test_allow_http_webhooks_lets_a_loopback_http_receiver_be_registered(tmp_path):
    opts, group = started(tmp_path, allow_http_webhooks=True)
    with group:
        client = MlflowClient(tracking_uri=opts.mlflow_url, registry_uri=opts.mlflow_url)
        hook = client.create_webhook(**HOOK)
        assert hook.url == HOOK["url"]
