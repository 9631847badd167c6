"""The gateway's moving parts in one object: models, metrics, keys, limits, profiles, shadow."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket

import numpy as np

from slipway.core.agreement import count_agreement
from slipway.core.batching import BatchPolicy
from slipway.core.routing import Routing
from slipway.serving.auth import KeyRing, RateLimiter
from slipway.serving.config import ServeConfig
from slipway.serving.logs import AccessLog
from slipway.serving.metrics import GatewayMetrics
from slipway.serving.models import ModelManager, ModelState, Served

log = logging.getLogger("slipway.serving")
_VERSION = re.compile(r"[1-9][0-9]{0,9}")


class HttpError(Exception):
    """An answer with a 4xx/5xx status and `{"error": message}`."""

    def __init__(self, status: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class Gateway:
    def __init__(self, config: ServeConfig) -> None:
        from slipway.serving.profiler import ProfileCollector
        from slipway.store import open_store

        self.config = config
        self.metrics = GatewayMetrics()
        self.keys = KeyRing(config.keys_file, config.auth)
        self.limiter = RateLimiter(config.rate_limit, config.rate_burst)
        self.manager = ModelManager(
            config.models,
            self.metrics,
            BatchPolicy(config.max_batch_rows, config.max_wait_ms / 1000.0),
            config.poll_interval_s,
            config.threads,
            config.batch_worker,
            config.max_retry_s,
        )
        replica = config.replica_id or f"{socket.gethostname()}-{os.getpid()}".replace("_", "-")
        if config.worker_index is not None:  # one profile stream per worker process
            replica = f"{replica}-w{config.worker_index}"
        self.profiler = ProfileCollector(
            open_store(), replica, config.profile_window_s, config.profile_sample
        )
        self.access_log = AccessLog() if config.access_log else None
        self.draining = False
        self._shadow_tasks: set[asyncio.Task] = set()
        self._keys_task: asyncio.Task | None = None
        self._log_task: asyncio.Task | None = None

    def ready(self) -> bool:
        return not self.draining and self.manager.ready()

    @contextlib.asynccontextmanager
    async def lifespan(self, app):
        if not self.config.auth:
            log.warning(
                "AUTHENTICATION IS DISABLED (--no-auth): anyone who reaches this port can predict; "
                "use only for a local demo"
            )
        if self.config.worker_index is not None:
            # Workers share one listening socket and the kernel hands a connection to whichever
            # accepts first: a worker opens its listener only after its first registry poll, so
            # no request lands on a sibling that is still loading the champion.
            await asyncio.to_thread(self.manager.refresh_all)
        self.manager.start()
        self.profiler.start()
        self._keys_task = asyncio.create_task(self._watch_keys())
        self._log_task = asyncio.create_task(self._flush_access_log()) if self.access_log else None
        log.info(
            "gateway started",
            extra={
                "models": self.config.models,
                "admin": self.config.enable_admin,
                "auth": self.config.auth,
                "replica_id": self.profiler.replica_id,
            },
        )
        try:
            yield
        finally:
            self._keys_task.cancel()
            if self._log_task is not None:
                self._log_task.cancel()
            if self._shadow_tasks:
                await asyncio.wait(list(self._shadow_tasks), timeout=self.config.drain_window_s)
            await asyncio.to_thread(self.manager.close)
            written = await asyncio.to_thread(self.profiler.close)
            if self.access_log is not None:
                self.access_log.flush()
            log.info(
                "gateway stopped",
                extra={
                    "profiles_flushed": len(written),
                    "profiles_dropped": self.profiler.dropped,
                    "profiles_lost": self.profiler.lost,
                },
            )

    async def _flush_access_log(self) -> None:
        while True:
            await asyncio.sleep(self.access_log.flush_every_s)
            self.access_log.flush()

    async def _watch_keys(self) -> None:
        while True:
            await asyncio.sleep(min(self.config.poll_interval_s, 2.0))
            self.keys.maybe_reload()

    async def predict(
        self, name: str, served: Served, variant: str, x: np.ndarray
    ) -> tuple[Served, dict]:
        """Run `x` on `served`; if that version was just retired by a swap, on its successor."""
        loop = asyncio.get_running_loop()
        for _ in range(3):
            future = loop.create_future()
            if served.batcher.submit(x, loop, future):
                if (
                    served.batcher.inline
                ):  # runs on this loop: no timer can cut a runtime call short
                    return served, await future
                try:
                    return served, await asyncio.wait_for(future, self.config.request_timeout_s)
                except TimeoutError:
                    raise HttpError(
                        504, f"inference took longer than {self.config.request_timeout_s}s"
                    ) from None
            state = self.manager.states[name]
            served = (
                state.canary
                if variant != "champion" and state.canary is not None
                else state.champion
            )
        raise RuntimeError(f"model {name}: no live version to run the request on")

    def count_predictions(self, name: str, version: str, variant: str, labels: np.ndarray) -> None:
        if len(labels) == 1:  # the common case: np.unique costs more than the rest of this
            self.metrics.predicted(name, version, variant, str(labels[0].item()))
            return
        values, counts = np.unique(labels, return_counts=True)
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            self.metrics.predicted(name, version, variant, str(value), count)

    def observe_confidence(self, name: str, version: str, variant: str, outputs: dict) -> None:
        """A classifier's top-1 probabilities into `slipway_prediction_confidence`."""
        probabilities = outputs.get("probabilities")
        if probabilities is not None:
            from slipway.core.confidence import top1_confidence

            self.metrics.confident(name, version, variant, top1_confidence(probabilities))

    def mirror(self, state: ModelState, x: np.ndarray, champion_labels: np.ndarray) -> None:
        """Shadow mode: send the same rows to the shadow off the request path, count agreement."""
        if len(self._shadow_tasks) >= self.config.shadow_max_pending:
            return
        task = asyncio.create_task(self._shadow(state, x, champion_labels))
        self._shadow_tasks.add(task)
        task.add_done_callback(self._shadow_tasks.discard)

    async def _shadow(self, state: ModelState, x: np.ndarray, champion_labels: np.ndarray) -> None:
        shadow, name = state.canary, state.champion.name
        try:
            _, outputs = await self.predict(name, shadow, "shadow", x)
        except Exception as exc:  # the shadow's failure never reaches the client; it is logged
            log.warning(
                "shadow inference failed",
                extra={
                    "model": name,
                    "version": shadow.version,
                    "error": f"{type(exc).__name__}: {exc}"[:200],
                },
            )
            return
        labels = outputs["label"]
        agree, disagree = count_agreement(champion_labels.tolist(), labels.tolist())
        m = self.metrics.shadow
        if agree:
            m.labels(name, state.champion.version, shadow.version, "true").inc(agree)
        if disagree:
            m.labels(name, state.champion.version, shadow.version, "false").inc(disagree)
        self.count_predictions(name, shadow.version, "shadow", labels)
        self.observe_confidence(name, shadow.version, "shadow", outputs)
        self.profiler.offer(
            name, shadow.version, "shadow", shadow.columns, shadow.profile_rows(x, outputs), labels
        )

    @staticmethod
    def parse_routing(payload) -> Routing:
        """A routing body -> Routing; 422 for a malformed one (a canary version that is not a
        registry version number, such as "../../etc", is refused before any lookup)."""
        from pydantic import ValidationError

        try:
            routing = Routing.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise HttpError(
                422, f"routing.{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            ) from None
        version = routing.canary_version
        if version is not None and not _VERSION.fullmatch(version):
            raise HttpError(
                422,
                f"routing.canary_version: {version[:40]!r} is not a registry version "
                'number (digits, such as "3")',
            )
        if routing.mode != "off" and version is None:
            raise HttpError(
                422,
                f"routing.canary_version: mode {routing.mode!r} needs the version "
                "to send traffic to",
            )
        return routing

    def set_routing(self, name: str, routing: Routing) -> None:
        """Write the routing tag every replica polls; 404 (nothing written) for a version the
        registry does not have."""
        from slipway.errors import BadInput
        from slipway.registry import open_registry

        registry = open_registry()

        if routing.canary_version is not None:
            try:
                registry.resolve(name, routing.canary_version)
            except BadInput:
                raise HttpError(
                    404,
                    f"model {name!r} has no version {routing.canary_version!r} "
                    "in the registry: register it first",
                ) from None
        registry.set_routing(name, routing)
