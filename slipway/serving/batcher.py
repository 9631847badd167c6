"""Micro-batcher: one worker thread per loaded model version.

Requests put (rows, future) on a queue; the worker takes a batch by slipway.core.batching's
policy, runs the runtime once (ONNX Runtime and OpenVINO release the GIL) and resolves each
request's asyncio future on its event loop.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import numpy as np

from slipway.core.batching import BatchPolicy, split_offsets

_STOP = object()


class MicroBatcher:
    def __init__(self, predict: Callable, policy: BatchPolicy, on_batch: Callable[[int], None], name: str) -> None:
        self.predict = predict
        self.policy = policy
        self.on_batch = on_batch
        self.queue: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.closed = False
        self._carry = None
        self.thread = threading.Thread(target=self._run, name=f"batcher-{name}", daemon=True)
        self.thread.start()

    def submit(self, x: np.ndarray, loop, future) -> bool:
        """Queue a request; False when this version was retired (the caller uses the new one)."""
        with self.lock:
            if self.closed:
                return False
            self.queue.put((x, loop, future))
            return True

    def close(self) -> None:
        """Finish every request already queued, then stop the worker."""
        with self.lock:
            if not self.closed:
                self.closed = True
                self.queue.put(_STOP)

    def _take(self) -> list | None:
        first, self._carry = (self._carry, None) if self._carry is not None else (self.queue.get(), None)
        if first is _STOP:
            return None
        batch, rows, started = [first], len(first[0]), time.monotonic()
        while True:
            wait = self.policy.wait_left(rows, time.monotonic() - started)
            try:
                item = self.queue.get(timeout=wait) if wait > 0 else self.queue.get_nowait()
            except queue.Empty:
                return batch
            if item is _STOP or not self.policy.fits(rows, len(item[0])):
                self._carry = item  # runs in the next batch (or stops after this one)
                return batch
            batch.append(item)
            rows += len(item[0])

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            sizes = [len(item[0]) for item in batch]
            try:
                x = batch[0][0] if len(batch) == 1 else np.concatenate([item[0] for item in batch])
                outputs = self.predict(x)
                self.on_batch(len(x))
            except Exception as exc:  # the runtime failed: every request of the batch gets the error
                for _, loop, future in batch:
                    loop.call_soon_threadsafe(_set_exception, future, exc)
                continue
            for (_, loop, future), (start, stop) in zip(batch, split_offsets(sizes), strict=True):
                part = {k: v[start:stop] for k, v in outputs.items()}
                loop.call_soon_threadsafe(_set_result, future, part)


def _set_result(future, value) -> None:
    if not future.done():
        future.set_result(value)


def _set_exception(future, exc) -> None:
    if not future.done():
        future.set_exception(exc)
