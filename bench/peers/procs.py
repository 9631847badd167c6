"""Server processes for the peers benchmark: started in their own session, stopped as a group.

Every server binds 127.0.0.1 on a free port. Several peers fork helpers (MLServer's metrics
and gRPC servers, LitServe's inference worker, BentoML's circus arbiter and its worker), so a
server is started as the leader of a new session and stopped by signalling that process
group (its id is the leader's pid, the process this bench started): SIGTERM, then SIGKILL
after a grace period. The caller registers `stop` in an ExitStack, so Ctrl-C or an error
anywhere still stops everything.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_checked(cmd: list[str], what: str, **kwargs) -> str:
    """Run a setup step to completion; a failure raises with its last lines, naming the step."""
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise RuntimeError(f"{what} failed (exit {done.returncode}): {tail}")
    return done.stdout


class ServerProcess:
    def __init__(self, name: str, cmd: list[str], *, env: dict, cwd: Path, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=str(cwd),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tail(self, limit: int = 2500) -> str:
        data = self.log_path.read_bytes()
        return data[-limit:].decode("utf-8", "replace")

    def wait_http(self, port: int, path: str, timeout_s: float = 180.0) -> None:
        """Until GET path answers 200; a server that exits or never answers raises with its log."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode} before it was "
                    f"ready; the end of {self.log_path}:\n{self.tail()}"
                )
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    return
            time.sleep(0.25)
        raise RuntimeError(
            f"{self.name}: no 200 from 127.0.0.1:{port}{path} after {timeout_s:.0f}s; "
            f"the end of {self.log_path}:\n{self.tail()}"
        )

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and every process under it (psutil)."""
        import psutil

        total = 0.0
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.pid)
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    total += t.user + t.system
        return total

    def stop(self, grace_s: float = 20.0) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                pass
        # helpers of the group that outlived their leader (or a leader that ignored SIGTERM)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._log.close()
