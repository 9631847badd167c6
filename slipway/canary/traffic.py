"""Real traffic for demos and tests: predict requests built from data rows, at a steady rate.

Open loop: request i is due at `start + i / rate`, whatever the previous answers took,
sent by a few worker threads (so a slow variant does not slow the schedule). Bounded: at
most `MAX_RATE` requests/s for at most `MAX_DURATION_S`. The report counts answers per
variant and version (the gateway's X-Slipway-Variant / X-Slipway-Model-Version headers),
so a test can prove that no request answered by the champion failed.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from slipway.errors import BadInput

MAX_RATE = 500.0
MAX_DURATION_S = 3600.0
VARIANT_HEADER = "X-Slipway-Variant"
VERSION_HEADER = "X-Slipway-Model-Version"


class TrafficReport(BaseModel):
    sent: int = 0
    ok: int = 0
    failed: int = 0
    by_variant: dict[str, dict[str, int]] = Field(default_factory=dict)
    """variant (or "none" when no answer said) -> {"ok": n, "failed": n}."""
    by_version: dict[str, int] = Field(default_factory=dict)
    statuses: dict[str, int] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)
    """The first few failures, one line each."""
    elapsed_s: float = 0.0

    def failed_for(self, variant: str) -> int:
        return self.by_variant.get(variant, {}).get("failed", 0)

    def line(self) -> str:
        parts = ", ".join(
            f"{v} {c.get('ok', 0)} ok/{c.get('failed', 0)} failed"
            for v, c in sorted(self.by_variant.items())
        )
        rate = self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return (
            f"sent {self.sent} requests in {self.elapsed_s:.1f} s ({rate:.1f}/s): "
            f"{self.ok} ok, {self.failed} failed ({parts})"
        )


class _Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.variants: dict[str, Counter] = {}
        self.versions: Counter = Counter()
        self.statuses: Counter = Counter()
        self.errors: list[str] = []

    def add(
        self, status: str, ok: bool, variant: str, version: str | None, error: str = ""
    ) -> None:
        with self.lock:
            self.variants.setdefault(variant, Counter())["ok" if ok else "failed"] += 1
            self.statuses[status] += 1
            if version:
                self.versions[version] += 1
            if error and len(self.errors) < 5:
                self.errors.append(error)

    def report(self, elapsed: float) -> TrafficReport:
        with self.lock:
            by_variant = {
                v: {"ok": c["ok"], "failed": c["failed"]} for v, c in self.variants.items()
            }
            ok = sum(c["ok"] for c in by_variant.values())
            failed = sum(c["failed"] for c in by_variant.values())
            return TrafficReport(
                sent=ok + failed,
                ok=ok,
                failed=failed,
                by_variant=by_variant,
                by_version=dict(self.versions),
                statuses=dict(self.statuses),
                errors=list(self.errors),
                elapsed_s=elapsed,
            )


def check_bounds(rate: float, duration_s: float) -> None:
    if not 0 < rate <= MAX_RATE:
        raise BadInput(f"--rate {rate}: give requests per second between 0 and {MAX_RATE:g}")
    if not 0 < duration_s <= MAX_DURATION_S:
        raise BadInput(f"--duration {duration_s}: give seconds between 0 and {MAX_DURATION_S:g}")


def send_traffic(
    gateway_url: str,
    name: str,
    rows: list[list[float]],
    *,
    rate: float,
    duration_s: float,
    api_key: str | None = None,
    stop: threading.Event | None = None,
    workers: int = 4,
    timeout_s: float = 10.0,
) -> TrafficReport:
    """Send `rate * duration_s` single-row predict requests (fewer if `stop` is set)."""
    import httpx

    check_bounds(rate, duration_s)
    if not rows:
        raise BadInput("no rows to send: the traffic data is empty")
    stop = stop or threading.Event()
    url = f"{gateway_url.rstrip('/')}/v1/models/{name}:predict"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    total = int(rate * duration_s)
    indices = itertools.count()
    lock = threading.Lock()
    tally = _Tally()
    start = time.monotonic()

    def work() -> None:
        with httpx.Client(timeout=timeout_s, headers=headers) as client:
            while not stop.is_set():
                with lock:
                    i = next(indices)
                if i >= total:
                    return
                wait = start + i / rate - time.monotonic()
                if wait > 0 and stop.wait(wait):
                    return
                _send_one(client, url, rows[i % len(rows)], tally)

    threads = [
        threading.Thread(target=work, name=f"traffic-{n}", daemon=True)
        for n in range(max(1, workers))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally.report(time.monotonic() - start)


def _send_one(client: Any, url: str, row: list[float], tally: _Tally) -> None:
    import httpx

    try:
        response = client.post(url, json={"instances": [row]})
    except httpx.HTTPError as exc:
        tally.add(
            f"error:{type(exc).__name__}", False, "none", None, f"{type(exc).__name__}: {exc}"[:200]
        )
        return
    variant = response.headers.get(VARIANT_HEADER, "none")
    version = response.headers.get(VERSION_HEADER)
    ok = 200 <= response.status_code < 300
    error = (
        ""
        if ok
        else f"HTTP {response.status_code} from {variant} {version}: {response.text.strip()[:150]}"
    )
    tally.add(str(response.status_code), ok, variant, version, error)


class BackgroundTraffic:
    """`with BackgroundTraffic(...) as traffic:` sends in a thread until the block ends (or the
    duration is over); `traffic.report` holds the result afterwards."""

    def __init__(
        self,
        gateway_url: str,
        name: str,
        rows: list[list[float]],
        *,
        rate: float,
        duration_s: float = MAX_DURATION_S,
        api_key: str | None = None,
    ) -> None:
        check_bounds(rate, duration_s)
        self.stop = threading.Event()
        self.report: TrafficReport | None = None
        self.error: BaseException | None = None
        self._args = (gateway_url, name, rows)
        self._kwargs = {
            "rate": rate,
            "duration_s": duration_s,
            "api_key": api_key,
            "stop": self.stop,
        }
        self._thread = threading.Thread(target=self._run, name="background-traffic", daemon=True)

    def _run(self) -> None:
        try:
            self.report = send_traffic(*self._args, **self._kwargs)
        except BaseException as exc:  # handed to the caller in __exit__
            self.error = exc

    def __enter__(self) -> BackgroundTraffic:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self._thread.join()
        if self.error is not None and exc_info[0] is None:
            raise self.error
