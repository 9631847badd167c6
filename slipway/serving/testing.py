"""Run `slipway serve` as a real subprocess on a free loopback port (tests, benchmarks, demos)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gateway_process(
    models: list[str],
    *,
    port: int | None = None,
    env: dict | None = None,
    extra_args: Sequence[str] = (),
    poll_interval_s: float = 0.5,
    ready_timeout_s: float = 60,
    cwd: str | None = None,
) -> Iterator[str]:
    """Start the gateway, wait for `/v2/health/ready`, yield its base URL, SIGTERM it on exit.

    The process inherits the environment (SLIPWAY_HOME, ...) plus `env`. Pass `--keys-file`
    or `--no-auth` in `extra_args`. Its log (JSON lines) is kept in a temp file; on a failed
    start the tail is in the raised error. The process object is at `base_url.process`.
    """
    import httpx

    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "slipway",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--models",
        ",".join(models),
        "--poll-interval-s",
        str(poll_interval_s),
        *extra_args,
    ]
    log_file = tempfile.NamedTemporaryFile(
        "w+b", prefix="slipway-gateway-", suffix=".log", delete=False
    )
    proc = subprocess.Popen(
        cmd, env={**os.environ, **(env or {})}, stdout=log_file, stderr=subprocess.STDOUT, cwd=cwd
    )
    url = GatewayURL(base_url)
    url.process, url.log_path = proc, log_file.name
    try:
        deadline = time.monotonic() + ready_timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"gateway exited with {proc.returncode} before ready:\n{_tail(log_file.name)}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/v2/health/ready", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"gateway not ready after {ready_timeout_s}s:\n{_tail(log_file.name)}"
                )
            time.sleep(0.1)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log_file.close()


class GatewayURL(str):
    """The base URL (a str) carrying the process and its log path."""

    process: subprocess.Popen
    log_path: str

    def log(self) -> str:
        return _tail(self.log_path, 1_000_000)


def _tail(path: str, limit: int = 4000) -> str:
    with open(path, "rb") as fh:
        data = fh.read()
    return data[-limit:].decode("utf-8", "replace")
