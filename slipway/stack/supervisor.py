"""Child processes on loopback: started in dependency order, health-checked, stopped cleanly.

A service is a small `ServiceSpec` (command, environment, readiness probe, what it needs
first); `slipway.stack.services` builds the specs of `slipway up`. `ServiceGroup` starts them,
waits (bounded) until each answers its probe, runs its `on_ready` hook, and stops them
all, newest first: SIGTERM to the child's process group, then SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from slipway.errors import BadInput, SlipwayError

LOOPBACK = "127.0.0.1"
RESTART_MIN_UPTIME_S = 10.0
"""A service that dies sooner than this after its start is not restarted: it would again."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    argv: list[str]
    ready: Callable[[], bool]
    """True once the service answers (an HTTP probe, a registration check)."""
    env: dict[str, str] = field(default_factory=dict)
    """Added to the parent's environment for this child."""
    url: str | None = None
    """What `slipway up` prints for people (a UI or API address)."""
    port: int | None = None
    port_flag: str | None = None
    """The flag that sets `port`, named when the port is taken."""
    needs: tuple[str, ...] = ()
    """Services that must be ready before this one starts."""
    on_ready: Callable[[], None] | None = None
    """Runs once the service is ready (e.g. create the work pool), before dependants start."""
    restart: bool = False
    """Start it again when it exits (a gateway replica), instead of stopping the whole stack."""


class ServiceFailed(SlipwayError):
    """A service did not start, did not become ready in time, or died."""


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when GET url answers 2xx; False while nothing listens or it answers an error."""
    import httpx

    try:
        return httpx.get(url, timeout=timeout).is_success
    except httpx.HTTPError:
        return False


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """True when something is bound to host:port (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def check_ports(specs: list[ServiceSpec], host: str = LOOPBACK) -> None:
    """Refuse bad, duplicate or taken ports before anything starts, naming the port and its flag."""
    seen: dict[int, str] = {}
    for spec in specs:
        if spec.port is None:
            continue
        flag = spec.port_flag or spec.name
        if not 1 <= spec.port <= 65535:
            raise BadInput(f"{flag} {spec.port}: give a port between 1 and 65535")
        if spec.port in seen:
            raise BadInput(
                f"{flag} {spec.port}: the same port as {seen[spec.port]}; give each service its "
                "own port"
            )
        seen[spec.port] = flag
        if port_in_use(spec.port, host):
            raise BadInput(
                f"port {spec.port} on {host} is already in use ({spec.name}): "
                f"stop what listens there or pass {flag} with a free port"
            )


def log_tail(path: Path, lines: int = 8) -> str:
    if not path.is_file():
        return ""
    text = path.read_text(errors="replace").strip().splitlines()
    return "\n".join(text[-lines:])


class ServiceGroup:
    """Child processes started from specs; use as a context manager so they always stop."""

    def __init__(self, log_dir: Path, grace_s: float = 15.0, poll_s: float = 0.5) -> None:
        self.log_dir = log_dir
        self.grace_s = grace_s
        self.poll_s = poll_s
        self.running: dict[str, subprocess.Popen] = {}
        self.started: list[ServiceSpec] = []
        self.started_at: dict[str, float] = {}

    def __enter__(self) -> ServiceGroup:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, specs: list[ServiceSpec], timeout_s: float) -> None:
        """Start every spec once its needs are ready; wait at most timeout_s for all to be ready."""
        names = {spec.name for spec in specs}
        for spec in specs:
            missing = set(spec.needs) - names
            if missing:
                raise ValueError(
                    f"service {spec.name} needs {sorted(missing)}, which are not in the list"
                )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout_s
        ready: set[str] = set()
        pending = list(specs)
        waiting: list[ServiceSpec] = []
        while pending or waiting:
            for spec in [s for s in pending if set(s.needs) <= ready]:
                pending.remove(spec)
                self._spawn(spec)
                waiting.append(spec)
            for spec in list(waiting):
                self._raise_if_exited(spec)
                if spec.ready():
                    waiting.remove(spec)
                    if spec.on_ready:
                        spec.on_ready()
                    ready.add(spec.name)
            if (pending or waiting) and time.monotonic() > deadline:
                late = ", ".join(s.name for s in waiting) or ", ".join(s.name for s in pending)
                logs = ", ".join(str(self.log_path(s.name)) for s in waiting)
                raise ServiceFailed(
                    f"{late} not ready after {timeout_s:g} s: see {logs or self.log_dir}, "
                    "or raise --startup-timeout on a slow machine"
                )
            if waiting:
                time.sleep(self.poll_s)

    def _spawn(self, spec: ServiceSpec) -> None:
        log = open(self.log_path(spec.name), "ab")  # noqa: SIM115 (the child keeps writing to it)
        try:
            proc = subprocess.Popen(
                spec.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **spec.env},
                # own process group: Ctrl-C reaches us, we stop them in
                # order
                start_new_session=True,
            )
        except OSError as exc:
            raise ServiceFailed(
                f"{spec.name}: cannot run {spec.argv[0]} ({exc.strerror}): is it installed?"
            ) from None
        finally:
            log.close()
        self.running[spec.name] = proc
        self.started_at[spec.name] = time.monotonic()
        if spec not in self.started:
            self.started.append(spec)

    def _raise_if_exited(self, spec: ServiceSpec) -> None:
        code = self.running[spec.name].poll()
        if code is not None:
            tail = log_tail(self.log_path(spec.name))
            raise ServiceFailed(
                f"{spec.name} exited with code {code} during start-up (log "
                f"{self.log_path(spec.name)})" + (f":\n{tail}" if tail else "")
            )

    def exited(self) -> tuple[str, int] | None:
        """(name, exit code) of the first service that has stopped, or None while all run."""
        for name, proc in self.running.items():
            code = proc.poll()
            if code is not None:
                return name, code
        return None

    def supervise(self, on_restart: Callable[[str, int], None] | None = None) -> tuple[str, int]:
        """Block until a service exits; return its name and exit code.

        A service whose spec says `restart` is started again instead (like a Kubernetes
        Deployment's pod), unless it dies within `RESTART_MIN_UPTIME_S` of its start, which
        no restart can fix."""
        while True:
            gone = self.exited()
            if gone:
                name, code = gone
                spec = self.spec(name)
                uptime = time.monotonic() - self.started_at.get(name, 0.0)
                if not spec.restart or uptime < RESTART_MIN_UPTIME_S:
                    return gone
                del self.running[name]
                self._spawn(spec)
                if on_restart is not None:
                    on_restart(name, code)
            time.sleep(self.poll_s)

    def spec(self, name: str) -> ServiceSpec:
        for spec in self.started:
            if spec.name == name:
                return spec
        raise KeyError(f"no service {name!r} was started")

    def pid(self, name: str) -> int:
        return self.running[name].pid

    def stop_one(self, name: str) -> int:
        """Stop one service (SIGTERM, then SIGKILL after the grace period); return its exit code.
        Its spec stays known, so `start_one(name)` brings it back."""
        proc = self.running.pop(name)
        return stop_process(proc, self.grace_s)

    def start_one(self, name: str, timeout_s: float) -> None:
        """Start a stopped service again and wait (bounded) until it answers its probe."""
        spec = self.spec(name)
        if name in self.running and self.running[name].poll() is None:
            raise ServiceFailed(f"{name} is already running")
        self.running.pop(name, None)
        self._spawn(spec)
        deadline = time.monotonic() + timeout_s
        while not spec.ready():
            self._raise_if_exited(spec)
            if time.monotonic() > deadline:
                raise ServiceFailed(
                    f"{name} not ready {timeout_s:g} s after its restart: see {self.log_path(name)}"
                )
            time.sleep(self.poll_s)
        if spec.on_ready:
            spec.on_ready()

    def restart(self, name: str, timeout_s: float) -> int:
        """Stop one service cleanly, start it again, wait until ready; return its exit code."""
        code = self.stop_one(name)
        self.start_one(name, timeout_s)
        return code

    def stop(self) -> dict[str, int]:
        """Stop every service, newest first; return their exit codes."""
        codes: dict[str, int] = {}
        for spec in reversed(self.started):
            proc = self.running.pop(spec.name, None)
            if proc is not None:
                codes[spec.name] = stop_process(proc, self.grace_s)
        self.started.clear()
        return codes


def stop_process(proc: subprocess.Popen, grace_s: float) -> int:
    """SIGTERM the child's process group, SIGKILL it after grace_s; return the exit code."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            return proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            return proc.wait(timeout=grace_s)
    _signal_group(proc, signal.SIGTERM)  # a leader that exited may leave children in its group
    return proc.returncode


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
