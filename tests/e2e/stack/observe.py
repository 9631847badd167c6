"""What the multi-replica tests read: readiness, HAProxy's counters, how fast the replicas
follow the registry, and the stored profiles of a version."""

from __future__ import annotations

import threading
import time

import httpx

from slipway import registry
from tests.e2e.stack.conftest import MODEL, Stack


def ready(url: str) -> int:
    try:
        return httpx.get(f"{url}/v2/health/ready", timeout=5).status_code
    except httpx.HTTPError:
        return 0


def predict(stack: Stack, url: str, rows: list[list[float]]) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/models/{MODEL}:predict",
        json={"instances": rows},
        headers=stack.headers,
        timeout=10,
    )


def haproxy_counters(stack: Stack) -> dict[str, float]:
    """HAProxy's retry and redispatch counters of the replicas' backend."""
    text = httpx.get(f"{stack.url}/haproxy/metrics", timeout=5).text
    wanted = ("haproxy_backend_retry_warnings_total", "haproxy_backend_redispatch_warnings_total")
    out = {}
    for line in text.splitlines():
        for name in wanted:
            if line.startswith(name + "{") and 'proxy="replicas"' in line:
                out[name.removeprefix("haproxy_backend_")] = float(line.rsplit(" ", 1)[1])
    return out


def in_pool(stack: Stack, name: str) -> bool:
    """HAProxy has the replica UP again (its health check passed)."""
    text = httpx.get(f"{stack.url}/haproxy/metrics", timeout=5).text
    marker = f'haproxy_server_status{{proxy="replicas",server="{name}",state="UP"}} 1'
    return marker in text


class Convergence:
    """Samples the registry (champion, routing) and what every replica serves, until stopped."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.registry: list[tuple[float, tuple]] = []
        self.seen: dict[str, list[tuple[float, tuple]]] = {n: [] for n in stack.replicas}
        self.stop = threading.Event()
        self.stopped_at = float("inf")
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Convergence:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.stopped_at = time.monotonic()

    def caught_up(self) -> bool:
        """Every replica has been seen serving the registry's latest state."""
        if not self.registry:
            return False
        latest = self.registry[-1]
        return all(
            any(s == latest[1] and t >= latest[0] for t, s in seen) for seen in self.seen.values()
        )

    def settle(self, timeout_s: float) -> None:
        """Keep watching after the last registry change until every replica serves it (or
        `timeout_s` passed: `lags` then reports the replica that did not as inf)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self.caught_up():
            time.sleep(0.05)

    @staticmethod
    def _record(history: list, now: float, state: tuple) -> None:
        if not history or history[-1][1] != state:
            history.append((now, state))

    def _run(self) -> None:
        reg = registry.open_registry()
        while not self.stop.wait(0.05):
            state = (reg.alias(MODEL, registry.CHAMPION), reg.routing(MODEL).model_dump())
            self._record(self.registry, time.monotonic(), state)
            for name, url in self.stack.replicas.items():
                served = self.stack.served(url)
                if served is not None:
                    self._record(self.seen[name], time.monotonic(), served)

    def lags(self, settle_s: float) -> list[float]:
        """Per registry change whose state lasted longer than `settle_s`: how long each replica
        took to serve it (inf: never did). The first state is no change (replicas had it)."""
        lags = []
        ends = [t for t, _ in self.registry[1:]] + [self.stopped_at]
        for (start, state), end in list(zip(self.registry, ends, strict=True))[1:]:
            if end - start <= settle_s:
                continue
            for seen in self.seen.values():
                times = [t for t, s in seen if s == state and t < end]
                lags.append(max(0.0, min(times) - start) if times else float("inf"))
        return lags


def profiled_rows(stack: Stack, version: str) -> tuple[int, set[str]]:
    """Rows in every stored champion profile of `version`, and the replicas that wrote them."""
    from slipway.drift import profiles
    from slipway.store import open_store

    store = open_store()
    keys = store.list(f"profiles/{MODEL}/{version}/champion/")
    views = [profiles.deserialize(store.get_bytes(k)) for k in keys]
    merged = profiles.merge(views)
    # <window start>-<replica id>.bin: the stamp has no '-', the replica id may
    writers = {k.rsplit("/", 1)[-1].partition("-")[2].removesuffix(".bin") for k in keys}
    return (profiles.row_count(merged) if merged is not None else 0), writers


def monitor(act: str = "off"):
    from flows.drift_monitor import drift_monitor
    from slipway.drift.params import MonitorParams
    from slipway.drift.policy_file import EXAMPLE_POLICY

    return drift_monitor(
        MonitorParams(model_name=MODEL, window="1h", policy=str(EXAMPLE_POLICY), act=act)
    )
