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
    inline = False  # results come from another thread: the caller bounds the wait

    def __init__(
        self, predict: Callable, policy: BatchPolicy, on_batch: Callable[[int], None], name: str
    ) -> None:
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
        first, self._carry = (
            (self._carry, None) if self._carry is not None else (self.queue.get(), None)
        )
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
            except (
                Exception
            ) as exc:  # the runtime failed: every request of the batch gets the error
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


class LoopBatcher:
    """Micro-batching on the event loop itself (the default, for small fast models).

    A request appends its rows and, if none is pending, schedules one flush with
    `call_soon` (or `call_later(max_wait_s)`): every request parsed in the same loop
    iteration joins that batch. The flush runs the runtime inline, so a request costs
    no thread hand-offs, which on a busy machine are the most expensive part of serving
    a model that answers in tens of microseconds. For slow models use MicroBatcher
    (`--batch-worker thread`), which keeps the loop free while the runtime works.
    """

    inline = True  # the runtime runs on the loop itself: the future is always resolved

    def __init__(
        self, predict: Callable, policy: BatchPolicy, on_batch: Callable[[int], None], name: str
    ) -> None:
        self.predict = predict
        self.policy = policy
        self.on_batch = on_batch
        self.closed = False
        self._pending: list = []
        self._scheduled = False

    def submit(self, x: np.ndarray, loop, future) -> bool:
        if self.closed:
            return False
        self._pending.append((x, future))
        if not self._scheduled:
            self._scheduled = True
            if self.policy.max_wait_s > 0:
                loop.call_later(self.policy.max_wait_s, self._flush)
            else:
                loop.call_soon(self._flush)
        return True

    def close(self) -> None:
        """Stop taking requests; the ones already pending still run on the scheduled flush."""
        self.closed = True

    def _flush(self) -> None:
        pending, self._pending, self._scheduled = self._pending, [], False
        while pending:
            batch, rows = [], 0
            while pending and self.policy.fits(rows, len(pending[0][0])):
                item = pending.pop(0)
                batch.append(item)
                rows += len(item[0])
            self._run(batch)

    def _run(self, batch: list) -> None:
        try:
            x = batch[0][0] if len(batch) == 1 else np.concatenate([item[0] for item in batch])
            outputs = self.predict(x)
            self.on_batch(len(x))
        except Exception as exc:  # the runtime failed: every request of the batch gets the error
            for _, future in batch:
                _set_exception(future, exc)
            return
        for (_, future), (start, stop) in zip(
            batch, split_offsets([len(item[0]) for item in batch]), strict=True
        ):
            _set_result(future, {k: v[start:stop] for k, v in outputs.items()})
