"""The multi-replica stack's specs and generated files: what `slipway up --replicas N` starts,
with which settings, and HAProxy's / Prometheus's own checkers on the files it writes."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from slipway.errors import BadInput
from slipway.stack import cluster, front
from slipway.stack.options import UpOptions
from slipway.stack.services import build_specs, mlflow_env
from slipway.stack.supervisor import ServiceGroup, ServiceSpec, http_ok
from tests.conftest import free_port


def opts(tmp_path, **kw) -> UpOptions:
    return UpOptions(home=tmp_path, **kw)


def always() -> bool:
    return True


def names(specs) -> list[str]:
    return [s.name for s in specs]


def test_without_replicas_the_stack_is_prefect_mlflow_and_a_worker(tmp_path):
    specs = build_specs(opts(tmp_path))
    assert names(specs) == ["prefect", "mlflow", "worker"]
    mlflow = specs[1]
    assert mlflow.argv[mlflow.argv.index("--default-artifact-root") + 1].startswith("file://")


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="apt-get install -y haproxy")
def test_replicas_add_s3_the_replicas_and_the_balancer_with_distinct_ids_and_ports(tmp_path):
    o = opts(tmp_path, replicas=3, prefect=False, models=("a", "b"), gateway_port=18000)
    specs = build_specs(o)
    assert names(specs) == ["s3", "mlflow", "replica-1", "replica-2", "replica-3", "balancer"]
    replicas = specs[2:5]
    assert [s.port for s in replicas] == [18001, 18002, 18003]
    ids = [s.argv[s.argv.index("--replica-id") + 1] for s in replicas]
    assert ids == ["replica-1", "replica-2", "replica-3"]
    first = replicas[0]
    assert first.argv[first.argv.index("--models") + 1] == "a,b"
    assert first.argv[first.argv.index("--keys-file") + 1] == str(tmp_path / "keys.json")
    assert first.restart and first.needs == ("mlflow", "s3")
    # every replica reads the registry from the MLflow server and writes to the S3 bucket
    assert first.env["SLIPWAY_TRACKING_URI"] == o.mlflow_url
    assert first.env["SLIPWAY_ARTIFACT_ROOT"] == "s3://slipway/artifacts"
    assert first.env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9000"
    mlflow = specs[1]
    assert mlflow.argv[mlflow.argv.index("--default-artifact-root") + 1] == "s3://slipway/mlflow"
    assert mlflow.env["MLFLOW_S3_ENDPOINT_URL"] == "http://127.0.0.1:9000"


def test_a_user_given_s3_endpoint_starts_no_moto_and_passes_no_fake_credentials(tmp_path):
    o = opts(tmp_path, replicas=0, s3_endpoint="http://127.0.0.1:9999", prefect=False)
    assert names(build_specs(o)) == ["mlflow"]
    assert "AWS_ACCESS_KEY_ID" not in o.client_env()
    assert o.client_env()["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9999"


def test_mlflow_job_runner_is_off_and_http_webhooks_need_the_flag(tmp_path):
    plain = mlflow_env(opts(tmp_path))
    assert plain["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert "MLFLOW_WEBHOOK_ALLOWED_SCHEMES" not in plain
    allowed = mlflow_env(opts(tmp_path, allow_http_webhooks=True, mlflow_jobs=True))
    assert allowed["MLFLOW_WEBHOOK_ALLOWED_SCHEMES"] == "http,https"
    assert allowed["MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS"] == "true"
    assert allowed["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "true"


def test_the_worker_uses_the_mlflow_server_not_the_sqlite_file(tmp_path):
    o = opts(tmp_path, mlflow_port=5123)
    worker = next(s for s in build_specs(o) if s.name == "worker")
    assert worker.env["SLIPWAY_TRACKING_URI"] == "http://127.0.0.1:5123"
    assert "mlflow" in worker.needs


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"prometheus": True}, "--prometheus scrapes gateway replicas: add --replicas N"),
        ({"replicas": -1}, "--replicas -1: give 0"),
        ({"replicas": 2, "drain_delay_s": 1.0}, "--drain-delay-s 1: a draining replica must"),
    ],
)
def test_a_stack_that_cannot_work_is_refused_before_anything_starts(tmp_path, kw, message):
    with pytest.raises(BadInput, match=message):
        cluster.check_replica_options(opts(tmp_path, **kw))


def test_a_missing_program_is_named_with_its_install_command(monkeypatch):
    monkeypatch.setattr(front.shutil, "which", lambda program: None)
    with pytest.raises(BadInput) as caught:
        front.require("haproxy", "haproxy", "the load balancer")
    assert str(caught.value).startswith("haproxy is not installed (the load balancer): apt-get")
    assert "install -y --no-install-recommends haproxy" in str(caught.value)


def test_the_api_key_is_made_once_and_only_its_hash_is_stored(tmp_path):
    o = opts(tmp_path, replicas=1)
    plain = cluster.ensure_api_key(o)
    assert plain and plain.startswith("sk_")
    assert plain not in o.keys_file.read_text()
    assert cluster.ensure_api_key(o) is None  # the second start prints no key


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="apt-get install -y haproxy")
def test_haproxy_accepts_the_generated_config(tmp_path):
    o = opts(tmp_path, replicas=2, drain_delay_s=2.0)
    text = front.haproxy_config(o)
    assert "option httpchk GET /v2/health/ready" in text
    assert "server replica-2 127.0.0.1:8082 check" in text
    path = front.write(tmp_path / "haproxy.cfg", text)
    done = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("promtool") is None, reason="apt-get install -y prometheus")
def test_promtool_accepts_the_generated_prometheus_config_with_the_rules(tmp_path):
    o = opts(tmp_path, replicas=2, prometheus=True, scrape_interval_s=0.5)
    rules = front.rules_file()
    assert rules is not None
    text = front.prometheus_config(o, rules)
    assert "labels: {replica: replica-2}" in text
    path = front.write(tmp_path / "prometheus.yml", text)
    done = subprocess.run(
        ["promtool", "check", "config", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


def test_supervise_restarts_a_replica_that_exits_and_stops_on_a_service_that_does_not(
    tmp_path, monkeypatch
):
    import slipway.stack.supervisor as supervisor

    monkeypatch.setattr(supervisor, "RESTART_MIN_UPTIME_S", 0.5)
    marker = tmp_path / "starts"
    code = (
        f"import time, pathlib; p = pathlib.Path({str(marker)!r}); "
        "n = len(p.read_text()) if p.exists() else 0; p.write_text('x' * (n + 1)); "
        "time.sleep(1.0 if n == 0 else 60)"
    )
    replica = ServiceSpec("replica-1", [sys.executable, "-c", code], always, restart=True)
    other = ServiceSpec("other", [sys.executable, "-c", "import time; time.sleep(2.5)"], always)
    restarted = []
    with ServiceGroup(tmp_path / "logs", grace_s=5, poll_s=0.05) as group:
        group.start([replica, other], timeout_s=30)
        name, exit_code = group.supervise(on_restart=lambda n, c: restarted.append((n, c)))
        assert (name, exit_code) == ("other", 0)
        assert restarted == [("replica-1", 0)]
        assert marker.read_text() == "xx" and group.running["replica-1"].poll() is None
    assert not group.running


def test_restart_stops_one_service_and_starts_it_again(tmp_path):
    port = free_port()
    server = ServiceSpec(
        "web",
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        lambda: http_ok(f"http://127.0.0.1:{port}/"),
    )
    with ServiceGroup(tmp_path / "logs", grace_s=5, poll_s=0.05) as group:
        group.start([server], timeout_s=30)
        first = group.pid("web")
        group.restart("web", timeout_s=30)
        assert group.pid("web") != first and server.ready()
