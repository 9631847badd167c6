"""`slipway up`: bad ports fail fast; the real stack starts, answers, and stops on SIGTERM."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from slipway.cli import main
from slipway.stack.supervisor import port_in_use
from tests.conftest import free_port, free_ports

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("flag", ["--prefect-port", "--mlflow-port"])
def test_a_taken_port_is_one_line_exit_2_naming_the_flag(flag, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        other = "--mlflow-port" if flag == "--prefect-port" else "--prefect-port"
        code = main(["up", flag, str(port), other, str(free_port()), "--no-worker"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: port {port} on 127.0.0.1 is already in use")
    assert flag in err and "Traceback" not in err


def test_a_non_positive_startup_timeout_is_bad_input(capsys):
    assert main(["up", "--startup-timeout", "0"]) == 2
    assert "--startup-timeout 0: give a positive number" in capsys.readouterr().err


class Output:
    """Lines of a child's stdout, read by a thread so waiting is bounded."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(
            target=lambda: [self.lines.put(line) for line in proc.stdout], daemon=True
        ).start()

    def until(self, marker: str, timeout_s: float) -> str:
        """Everything seen until a line contains marker; fail with the output on timeout or exit."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and (self.proc.poll() is None or not self.lines.empty()):
            try:
                self.seen.append(self.lines.get(timeout=1))
            except queue.Empty:
                continue
            if marker in self.seen[-1]:
                return "".join(self.seen)
        pytest.fail(
            f"no {marker!r} within {timeout_s} s (exit code {self.proc.poll()}); "
            f"output:\n{''.join(self.seen)}"
        )


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM first so `slipway up` stops its children; SIGKILL only as the last resort."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_up_starts_prefect_mlflow_and_worker_then_stops_on_sigterm(slipway_home, monkeypatch):
    # given two free loopback ports
    prefect_port, mlflow_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(SLIPWAY_HOME=str(slipway_home), PYTHONPATH=str(ROOT))
    # when `slipway up` runs
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from slipway.cli import main; sys.exit(main(sys.argv[1:]))",
            "up",
            "--prefect-port",
            str(prefect_port),
            "--mlflow-port",
            str(mlflow_port),
            "--startup-timeout",
            "240",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        output = Output(proc)
        out = output.until("Ctrl-C stops everything", timeout_s=240)
        api = f"http://127.0.0.1:{prefect_port}/api"
        # then it prints the settings to use, and every service answers
        assert f"export PREFECT_API_URL={api}" in out
        assert f"export SLIPWAY_TRACKING_URI=http://127.0.0.1:{mlflow_port}" in out
        assert httpx.get(f"{api}/health", timeout=10).json() is True
        assert httpx.get(f"http://127.0.0.1:{mlflow_port}/health", timeout=10).text.strip() == "OK"
        pool = httpx.get(f"{api}/work_pools/slipway-local", timeout=10).json()
        assert pool["type"] == "process"
        # created through the Prefect CLI: the process worker's default job template is filled in
        assert "command" in pool["base_job_template"]["job_configuration"]
        workers = httpx.post(
            f"{api}/work_pools/slipway-local/workers/filter", json={}, timeout=10
        ).json()
        assert f"slipway-up-{proc.pid}" in {w["name"] for w in workers}
        # and slipway's MLflow adapter works against the server, with state under SLIPWAY_HOME
        monkeypatch.setenv("SLIPWAY_TRACKING_URI", f"http://127.0.0.1:{mlflow_port}")
        from slipway.tracking import configure_mlflow

        assert configure_mlflow()
        assert (slipway_home / "mlflow.db").is_file() and (slipway_home / "prefect.db").is_file()
        # when SIGTERM arrives, then every child stops and the ports are free again
        stop(proc)
        assert proc.returncode == 0
        assert "stopped" in output.until("stopped", timeout_s=10)
        assert not port_in_use(prefect_port) and not port_in_use(mlflow_port)
    finally:
        stop(proc)


def pid_listening_on(port: int) -> int:
    """The pid of the process whose command line serves `--port port` (a replica)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            b"serve" in argv
            and b"--port" in argv
            and argv[argv.index(b"--port") + 1] == str(port).encode()
        ):
            return int(proc.name)
    raise AssertionError(f"no slipway serve process on port {port}")


@pytest.mark.slow
@pytest.mark.timeout(420)
@pytest.mark.skipif(
    not (shutil.which("haproxy") and shutil.which("prometheus")),
    reason="needs haproxy and prometheus: apt-get install -y --no-install-recommends haproxy "
    "prometheus (.ci/run does this as root)",
)
def test_up_with_replicas_prints_the_exports_serves_not_ready_and_restarts_a_dead_replica(
    slipway_home,
):
    flags = ("--mlflow-port", "--s3-port", "--prometheus-port")
    *chosen, gateway_port = free_ports(4)
    while port_in_use(gateway_port + 1) or gateway_port + 1 in chosen:
        gateway_port = free_port()
    ports = dict(zip(flags, chosen, strict=True))
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(SLIPWAY_HOME=str(slipway_home), PYTHONPATH=str(ROOT))
    argv = ["up", "--replicas", "1", "--prometheus", "--no-prefect", "--models", "digits-up"]
    argv += ["--gateway-port", str(gateway_port), "--startup-timeout", "240"]
    for flag, port in ports.items():
        argv += [flag, str(port)]
    code = "import sys; from slipway.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        output = Output(proc)
        out = output.until("Ctrl-C stops everything", timeout_s=240)
        balancer = f"http://127.0.0.1:{gateway_port}"
        prometheus = f"http://127.0.0.1:{ports['--prometheus-port']}"
        # then it prints what to export: the balancer, Prometheus, the registry, S3, the key
        assert f"export SLIPWAY_GATEWAY_URL={balancer}" in out
        assert f"export SLIPWAY_PROMETHEUS_URL={prometheus}" in out
        assert f"export SLIPWAY_TRACKING_URI=http://127.0.0.1:{ports['--mlflow-port']}" in out
        assert "export SLIPWAY_ARTIFACT_ROOT=s3://slipway/artifacts" in out
        key = out.split("export SLIPWAY_API_KEY=", 1)[1].split()[0]
        assert key not in (slipway_home / "keys.json").read_text()
        # the replica has no champion: not ready, and the balancer answers 503
        assert httpx.get(f"{balancer}/v2/health/ready", timeout=10).status_code == 503
        # Prometheus scrapes the replica and HAProxy, with slipway's alerting rules loaded
        targets = httpx.get(f"{prometheus}/api/v1/targets", timeout=10).json()["data"]
        jobs = {t["labels"]["job"] for t in targets["activeTargets"]}
        assert jobs == {"slipway-gateway", "haproxy"}
        groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
        assert "slipway-gateway" in {g["name"] for g in groups}
        # when the replica dies (after its first 10 s), `slipway up` starts it again
        time.sleep(10)
        os.kill(pid_listening_on(gateway_port + 1), signal.SIGKILL)
        output.until("replica-1 exited (code -9): started it again", timeout_s=60)
        # when SIGTERM arrives, every child stops
        stop(proc)
        assert proc.returncode == 0
        assert not port_in_use(gateway_port) and not port_in_use(ports["--prometheus-port"])
    finally:
        stop(proc)
