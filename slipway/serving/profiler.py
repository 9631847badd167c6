"""Production profiles: a sample of served rows folded into whylogs profiles off the request path.

The request path only offers (model, version, variant, inputs, predictions) to a bounded
queue (dropped and counted when full). A background thread folds them into one whylogs
profile per (model, version, variant) and flushes every `window_s` and on shutdown to
`profiles/<model>/<version>/<variant>/<window_start %Y%m%dT%H%M%SZ>-<replica_id>.bin`,
the keys drift-monitor reads.

A window whose write fails (the S3 endpoint down) is not lost: its serialized profile stays
in memory and the background thread tries again, backing off from 1 s to `max_retry_s`;
shutdown tries for up to `close_retry_s` more. Only past `max_unsent` waiting windows is the
oldest dropped (counted in `lost`, logged).
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from datetime import UTC, datetime

import numpy as np

log = logging.getLogger("slipway.serving")


def profile_key(
    model: str, version: str, variant: str, window_start: float, replica_id: str
) -> str:
    stamp = datetime.fromtimestamp(window_start, UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"profiles/{model}/{version}/{variant}/{stamp}-{replica_id}.bin"


class ProfileCollector:
    def __init__(
        self,
        store,
        replica_id: str,
        window_s: float = 300.0,
        sample_rate: float = 0.1,
        max_queue: int = 10_000,
        fold_every_s: float = 30.0,
        fold_rows: int = 5_000,
        max_retry_s: float = 30.0,
        close_retry_s: float = 10.0,
        max_unsent: int = 256,
    ) -> None:
        self.store = store
        self.replica_id = replica_id
        self.window_s = window_s
        self.sample_rate = sample_rate
        self.queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self.dropped = 0
        self.fold_every_s = fold_every_s
        self.fold_rows = fold_rows
        self._last_fold = time.monotonic()
        self.flushed_keys: list[str] = []
        self.unsent: dict[str, bytes] = {}
        """Serialized windows whose write failed, by store key, oldest first: retried."""
        self.lost = 0
        self.write_failures = 0
        self.max_retry_s = max_retry_s
        self.close_retry_s = close_retry_s
        self.max_unsent = max_unsent
        self._retry_delay = 1.0
        self._retry_at = 0.0
        self._views: dict[tuple[str, str, str], object] = {}
        self._pending: dict[tuple[str, str, str], list] = {}
        self._columns: dict[tuple[str, str, str], list[str]] = {}
        self._window_start = time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="profiler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def offer(
        self, model: str, version: str, variant: str, columns: list[str], x: np.ndarray, labels
    ) -> None:
        """Called on the request path: a coin flip and a non-blocking put, nothing more."""
        if self.sample_rate <= 0 or (self.sample_rate < 1 and random.random() >= self.sample_rate):
            return
        try:
            self.queue.put_nowait(((model, version, variant), columns, x, labels))
        except queue.Full:
            self.dropped += 1

    def _drain(self) -> None:
        while True:
            try:
                key, columns, x, labels = self.queue.get_nowait()
            except queue.Empty:
                break
            self._columns[key] = columns
            self._pending.setdefault(key, []).append((x, labels))

    def _fold(self) -> None:
        """Fold pending rows into the window's profiles (whylogs work, background only)."""
        import pandas as pd

        from slipway.drift import profiles

        self._drain()
        pending, self._pending = self._pending, {}
        for key, parts in pending.items():
            frame = pd.DataFrame(np.concatenate([p[0] for p in parts]), columns=self._columns[key])
            frame["prediction"] = np.concatenate([np.asarray(p[1], dtype=np.int64) for p in parts])
            view = profiles.profile_frame(frame)
            self._views[key] = view if key not in self._views else self._views[key].merge(view)

    def flush(self) -> list[str]:
        """Fold what is pending and write the window's profiles (and any earlier window still
        waiting); start a new window. Returns the keys written now."""
        from slipway.drift import profiles

        self._fold()
        views, self._views = self._views, {}
        start, self._window_start = self._window_start, time.time()
        for (model, version, variant), view in views.items():
            key = profile_key(model, version, variant, start, self.replica_id)
            self.unsent[key] = profiles.serialize(view)
        while len(self.unsent) > self.max_unsent:
            oldest = next(iter(self.unsent))
            del self.unsent[oldest]
            self.lost += 1
            log.error("profile dropped: too many windows wait for the store", extra={"key": oldest})
        return self._send()

    def _send(self) -> list[str]:
        """Write every waiting window; on the first failure stop and back off."""
        written = []
        for key in list(self.unsent):
            try:
                self.store.put_bytes(key, self.unsent[key])
            except Exception as exc:  # the store is down: keep the window, try again later
                self.write_failures += 1
                self._retry_at = time.monotonic() + self._retry_delay
                log.warning(
                    "profile write failed: kept, will retry",
                    extra={
                        "key": key,
                        "waiting": len(self.unsent),
                        "retry_in_s": self._retry_delay,
                        "error": f"{type(exc).__name__}: {exc}"[:300],
                    },
                )
                self._retry_delay = min(self.max_retry_s, self._retry_delay * 2)
                break
            del self.unsent[key]
            written.append(key)
        else:
            self._retry_delay = 1.0
        if written:
            log.info("profiles flushed", extra={"keys": written})
        self.flushed_keys.extend(written)
        return written

    def _pending_rows(self) -> int:
        return sum(len(p[0]) for parts in self._pending.values() for p in parts)

    def _run(self) -> None:
        # Folding costs a fixed ~0.05 s of whylogs work per call (65 columns) plus ~0.1 ms a row; it
        # holds the GIL (request-path stalls): fold every `fold_every_s` or `fold_rows`, not per
        # second.
        while not self._stop.wait(1.0):
            try:
                self._drain()
                due = (
                    time.monotonic() - self._last_fold >= self.fold_every_s
                    or self._pending_rows() >= self.fold_rows
                )
                if due:
                    self._fold()
                    self._last_fold = time.monotonic()
                if time.time() - self._window_start >= self.window_s:
                    self.flush()
                elif self.unsent and time.monotonic() >= self._retry_at:
                    self._send()
            except Exception as exc:  # keep profiling alive; the error is logged with its cause
                log.error(
                    "profile fold/flush failed",
                    extra={"error": f"{type(exc).__name__}: {exc}"[:300]},
                )

    def close(self) -> list[str]:
        """Stop the thread and flush the last window (on shutdown), retrying a failing store
        for up to `close_retry_s`."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        written = self.flush()
        deadline = time.monotonic() + self.close_retry_s
        while self.unsent and time.monotonic() < deadline:
            time.sleep(
                max(0.0, min(self._retry_at - time.monotonic(), deadline - time.monotonic()))
            )
            written += self._send()
        if self.unsent:
            self.lost += len(self.unsent)
            log.error(
                "profiles lost at shutdown: the store did not answer",
                extra={"keys": list(self.unsent)},
            )
        return written
