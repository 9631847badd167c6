"""Models from the MLflow registry: load, warm, hot swap, routing poll.

Per configured model the gateway holds one immutable ModelState (champion, canary/shadow,
routing). A poller thread re-reads the `champion` alias and the `slipway.routing` tag every
`poll_interval_s`; a new version is downloaded, loaded with the runtime of its manifest
selection, warmed, and only then swapped in by replacing the state object (atomic). A load
that fails keeps the old version serving and counts `slipway_model_load_failures_total`;
it is tried again on later polls with exponential backoff (poll interval doubling up to
`max_retry_s`), so a version that was not loadable yet (not registered on this replica's
store, a transient download error) serves once it is. Until then readiness lists the
failure and `slipway_model_load_failed{model,version}` is 1.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from slipway.core.batching import BatchPolicy
from slipway.core.contract import ServingContract
from slipway.core.oip import datatype_of
from slipway.core.routing import Routing
from slipway.serving.batcher import LoopBatcher, MicroBatcher
from slipway.serving.metrics import GatewayMetrics

log = logging.getLogger("slipway.serving")


@dataclass
class Served:
    """One loaded, warmed model version and its micro-batcher."""

    name: str
    version: str
    contract: ServingContract
    candidate: str
    runtime: str
    batcher: LoopBatcher | MicroBatcher = field(repr=False)
    outputs: tuple[tuple[str, str, tuple[int, ...]], ...] = ()
    """(name, OIP datatype, shape with -1 for rows) of each model output, seen at warm-up."""
    columns: list[str] = field(default_factory=list, repr=False)
    """The profiled columns, built once (the profiler takes them per request): the contract's
    feature names, or for a tensor contract the per-image summaries."""

    def profile_rows(self, x: np.ndarray, outputs: dict | None = None) -> np.ndarray:
        """What the profiler folds for a request: the rows themselves (tabular), or per-image
        summaries of a tensor input (see core.image_summary) and, for a classifier, the top-1
        probability as `confidence` (the drift monitor treats its drop as prediction drift)."""
        if self.contract.is_tabular:
            return x
        from slipway.core.confidence import CONFIDENCE, top1_confidence
        from slipway.core.image_summary import summarize

        spec = self.contract.tensors[0]
        rows = summarize(x, spec.min, spec.max)
        if self.columns and self.columns[-1] == CONFIDENCE:
            probabilities = (outputs or {}).get("probabilities")
            top1 = (
                top1_confidence(probabilities)
                if probabilities is not None
                else np.full(len(rows), np.nan)
            )
            rows = np.column_stack([rows, top1])
        return rows

    @property
    def output_names(self) -> list[str]:
        return [o[0] for o in self.outputs]


@dataclass
class LoadFailure:
    """A version that failed to load: when to try it again."""

    error: str
    attempts: int
    retry_at: float


@dataclass(frozen=True)
class ModelState:
    champion: Served | None = None
    canary: Served | None = None
    routing: Routing = Routing()

    @property
    def second_variant(self) -> str | None:
        """'canary' or 'shadow' when a second version is loaded and routing uses it."""
        if self.canary is None or self.routing.mode == "off":
            return None
        return self.routing.mode


def load_bundle(
    name: str,
    version: str,
    bundle: Path,
    policy: BatchPolicy,
    metrics: GatewayMetrics,
    threads: int | None,
    variant_of,
    batch_worker: str = "loop",
) -> Served:
    """Load the manifest's selected candidate (or the first accepted one) and warm it."""
    from slipway.errors import BadInput
    from slipway.layout import read_contract, read_manifest
    from slipway.runtimes import load_candidate

    manifest, contract = read_manifest(bundle), read_contract(bundle)
    candidate = manifest.selected() if manifest.selection else next(iter(manifest.accepted()), None)
    if candidate is None:
        raise BadInput(
            f"model {name} version {version}: the manifest has no selection and no accepted "
            "candidate"
        )
    predictor = load_candidate(
        bundle, candidate, threads, spin=False
    )  # the event loop needs the CPUs
    warm = warm_input(contract)
    seen = predictor.predict(warm)  # warm-up: first-call allocations happen here, not on a request
    outputs = tuple(
        (k, datatype_of(np.asarray(v)), (-1, *np.asarray(v).shape[1:])) for k, v in seen.items()
    )
    children: dict[str, object] = {}

    def on_batch(rows: int) -> None:
        variant = variant_of(version)
        child = children.get(variant)
        if child is None:
            child = children[variant] = metrics.batch_size.labels(name, version, variant)
        child.observe(rows)

    kind = LoopBatcher if batch_worker == "loop" else MicroBatcher
    batcher = kind(predictor.predict, policy, on_batch, f"{name}-v{version}")
    return Served(
        name,
        version,
        contract,
        candidate.name,
        candidate.runtime,
        batcher,
        outputs,
        profile_columns(contract, classifier="probabilities" in seen),
    )


def warm_input(contract: ServingContract) -> np.ndarray:
    """One request's worth of input in the middle of the contract's ranges."""
    if contract.is_tabular:
        return np.array([[_mid(f) for f in contract.features]], dtype=np.float32)
    from slipway.core.oip import DTYPES

    spec = contract.tensors[0]
    return np.full(spec.example_shape(1), _mid(spec), dtype=DTYPES[spec.datatype])


def profile_columns(contract: ServingContract, classifier: bool = False) -> list[str]:
    if contract.is_tabular:
        return contract.feature_names
    from slipway.core.confidence import CONFIDENCE
    from slipway.core.image_summary import SUMMARY_COLUMNS

    return [*SUMMARY_COLUMNS, *([CONFIDENCE] if classifier else [])]


def _mid(feature) -> float:
    lo = feature.min if feature.min is not None else 0.0
    hi = feature.max if feature.max is not None else lo
    return (lo + hi) / 2.0


class ModelManager:
    """Holds every configured model's state and keeps it in step with the registry."""

    def __init__(
        self,
        names: list[str],
        metrics: GatewayMetrics,
        policy: BatchPolicy,
        poll_interval_s: float = 5.0,
        threads: int | None = None,
        batch_worker: str = "loop",
        max_retry_s: float = 300.0,
    ) -> None:
        self.batch_worker = batch_worker
        self.names = list(names)
        self.metrics = metrics
        self.policy = policy
        self.poll_interval_s = poll_interval_s
        self.threads = threads
        self.states: dict[str, ModelState] = {n: ModelState() for n in names}
        self.max_retry_s = max(max_retry_s, poll_interval_s)
        self._failed: dict[tuple[str, str], LoadFailure] = {}
        self._stop = threading.Event()
        self._refresh_lock = threading.Lock()
        self._registry = None

    def registry(self):
        """The registry adapter, built once (on the first poll: the gateway starts without it)."""
        if self._registry is None:
            from slipway.registry import open_registry

            self._registry = open_registry()
        return self._registry
        self._thread: threading.Thread | None = None

    # -- reading -------------------------------------------------------------------------
    def ready(self) -> bool:
        return all(s.champion is not None for s in self.states.values())

    def failures(self) -> list[dict]:
        """Versions this replica wants but could not load (readiness shows them)."""
        now = time.monotonic()
        return [
            {
                "model": n,
                "version": v,
                "error": f.error,
                "attempts": f.attempts,
                "retry_in_s": round(max(0.0, f.retry_at - now), 1),
            }
            for (n, v), f in sorted(self._failed.items())
        ]

    def retry_now(self, name: str) -> None:
        """Forget the backoff of a model's failed versions (an admin reload retries at once)."""
        for key, failure in list(self._failed.items()):
            if key[0] == name:
                failure.retry_at = 0.0

    def variant_of(self, name: str, version: str) -> str:
        state = self.states.get(name)
        if state is None or state.champion is None or state.champion.version == version:
            return "champion"
        return state.second_variant or "champion"

    # -- polling -------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._poll_loop, name="registry-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            self.refresh_all()
            self._stop.wait(self.poll_interval_s)

    def refresh_all(self) -> None:
        for name in self.names:
            try:
                self.refresh(name)
            except Exception as exc:  # the registry is unreachable: keep serving, say so
                log.error("registry poll failed", extra={"model": name, "error": _one_line(exc)})

    def refresh(self, name: str) -> ModelState:
        """Bring one model in step with its champion alias and routing tag."""
        from slipway.registry import CHAMPION

        with self._refresh_lock:
            registry = self.registry()
            champion_version = registry.alias(name, CHAMPION)
            routing = registry.routing(name) if champion_version else Routing()
            old = self.states[name]
            champion = self._ensure(name, champion_version, old.champion, old)
            want_canary = routing.canary_version if routing.mode != "off" else None
            canary = self._ensure(name, want_canary, old.canary, old) if want_canary else None
            if want_canary and canary is not None and canary.version != want_canary:
                canary = None
            new = ModelState(champion, canary, routing)
            self._forget_unwanted(name, {champion_version, want_canary})
            if new != old:
                self._publish(name, old, new)
            return new

    def _forget_unwanted(self, name: str, wanted: set) -> None:
        """A failed version nobody points at any more stops counting as a failure."""
        for key in [k for k in self._failed if k[0] == name and k[1] not in wanted]:
            del self._failed[key]
            self.metrics.load_failed.labels(*key).set(0)

    def _ensure(
        self, name: str, version: str | None, current: Served | None, old: ModelState
    ) -> Served | None:
        if version is None:
            return current
        for served in (old.champion, old.canary):
            if served is not None and served.version == version:
                return served
        failure = self._failed.get((name, version))
        if failure is not None and time.monotonic() < failure.retry_at:
            return current

        try:
            bundle = self.registry().download_bundle(name, version)
            served = load_bundle(
                name,
                version,
                bundle,
                self.policy,
                self.metrics,
                self.threads,
                lambda v: self.variant_of(name, v),
                self.batch_worker,
            )
        except Exception as exc:  # a broken version must never take the serving one down
            attempts = failure.attempts + 1 if failure is not None else 1
            delay = min(self.max_retry_s, self.poll_interval_s * 2 ** (attempts - 1))
            self._failed[(name, version)] = LoadFailure(
                _one_line(exc), attempts, time.monotonic() + delay
            )
            self.metrics.load_failures.labels(name).inc()
            self.metrics.load_failed.labels(name, version).set(1)
            log.error(
                "model load failed: keeping the serving version",
                extra={
                    "model": name,
                    "version": version,
                    "error": _one_line(exc),
                    "attempt": attempts,
                    "retry_in_s": delay,
                    "serving": current.version if current else None,
                },
            )
            return current
        if self._failed.pop((name, version), None) is not None:
            self.metrics.load_failed.labels(name, version).set(0)
            log.info("model loaded after failing before", extra={"model": name, "version": version})
        return served

    def _publish(self, name: str, old: ModelState, new: ModelState) -> None:
        self.states[name] = new  # the atomic switch: requests read one state object
        if (
            old.champion is not None
            and new.champion is not None
            and old.champion.version != new.champion.version
        ):
            self.metrics.swaps.labels(name).inc()
        for state, value in ((old, 0), (new, 1)):
            for served, variant in (
                (state.champion, "champion"),
                (state.canary, state.second_variant),
            ):
                if served is not None and variant is not None:
                    self.metrics.loaded.labels(name, served.version, variant).set(value)
        keep = {s.version for s in (new.champion, new.canary) if s is not None}
        for served in (old.champion, old.canary):
            if served is not None and served.version not in keep:
                served.batcher.close()
        log.info(
            "model state changed",
            extra={
                "model": name,
                "champion": new.champion.version if new.champion else None,
                "routing": new.routing.model_dump(),
                "second": new.canary.version if new.canary else None,
            },
        )

    def close(self) -> None:
        self.stop()
        for state in self.states.values():
            for served in (state.champion, state.canary):
                if served is not None:
                    served.batcher.close()


def _one_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300]
