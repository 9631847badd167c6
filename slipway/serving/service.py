"""The inference path shared by every transport (HTTP JSON, HTTP binary, gRPC).

A transport only reads its request and writes its answer; in between it calls, in this
order: `admit` (auth 401/403 -> model 404 -> pinned version 404 -> no champion 503 ->
rate limit 429), then its own framing checks and decoding, `checked` steps (decoding 400,
the contract 422),
`run` (inference, 500/504; predictions counted, profiled, mirrored to a shadow) and
`record` (metrics and the access log), so a gRPC call and an HTTP request are limited,
validated, routed and counted alike. Errors are `HttpError`s; gRPC maps their status.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import time
from dataclasses import dataclass

import numpy as np

from slipway.core.contract import ServingContract
from slipway.core.oip import TensorInvalid
from slipway.core.oip_messages import metadata_doc, tensor_meta
from slipway.core.ratelimit import retry_after_header
from slipway.core.routing import choose_variant, sticky_draw
from slipway.serving.gateway import Gateway, HttpError
from slipway.serving.models import ModelState, Served

ROUTE_KEY_HEADER = "x-slipway-route-key"
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}")
_PLATFORMS = {
    "onnxruntime": "onnxruntime_onnx",
    "openvino": "openvino",
    "tensorrt": "tensorrt_plan",
}


class RequestIds:
    """Request ids: a client's `X-Request-Id` when it is an HTTP token of at most 128
    characters (anything else would let a client forge or flood log lines), else a fresh
    one: a random per-process prefix and a counter (uuid4 cost more than the inference)."""

    def __init__(self) -> None:
        self._prefix = os.urandom(4).hex()
        self._counter = itertools.count(1)

    def __call__(self, given: str | None) -> str:
        if given and _TOKEN.fullmatch(given):
            return given
        return f"{self._prefix}{next(self._counter):08x}"


@dataclass(slots=True)
class Admitted:
    """A request that passed auth, model lookup and the rate limit."""

    name: str
    state: ModelState
    served: Served
    variant: str
    key_id: str


class InferenceService:
    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway
        self.request_id = RequestIds()

    # -- admission -----------------------------------------------------------------------
    def authorize(self, headers, query_names, scope: str = "predict") -> str:
        status, key_id, reason = self.gw.keys.check(headers, query_names, scope)
        if status != 200:
            raise HttpError(status, reason)
        return key_id

    def state(self, name: str) -> ModelState:
        state = self.gw.manager.states.get(name)
        if state is None:
            served = ", ".join(self.gw.manager.names)
            raise HttpError(404, f"model {name!r} is not served here (served: {served})")
        return state

    def admit(self, name: str, version: str | None, headers, query_names, client: str) -> Admitted:
        key_id = self.authorize(headers, query_names)
        state = self.state(name)
        if version is not None:
            served = pinned(state, name, version)
            variant = self.gw.manager.variant_of(name, version)
        else:
            served, variant = route(state, headers.get(ROUTE_KEY_HEADER))
            if served is None:
                raise HttpError(503, f"model {name!r} has no loaded champion yet")
        wait = self.gw.limiter.wait(key_id if self.gw.keys.enabled else client)
        if wait > 0:
            raise HttpError(
                429, "rate limit exceeded for this key", {"Retry-After": retry_after_header(wait)}
            )
        return Admitted(name, state, served, variant, key_id)

    # -- validation and inference -----------------------------------------------------------
    def checked(self, admitted: Admitted, step, *args, **kwargs):
        """`step(*args, **kwargs)`: a decoding or contract step; its refusal (TensorInvalid) is
        answered 422 (counted as a contract rejection) or 400 (framing)."""
        try:
            return step(*args, **kwargs)
        except TensorInvalid as exc:
            if exc.status == 422:
                s = admitted.served
                self.gw.metrics.rejections.labels(admitted.name, s.version, admitted.variant).inc()
            raise HttpError(exc.status, str(exc)) from None

    async def run(self, admitted: Admitted, x: np.ndarray) -> dict[str, np.ndarray]:
        gw, name, variant = self.gw, admitted.name, admitted.variant
        try:
            served, outputs = await gw.predict(name, admitted.served, variant, x)
        except HttpError:
            raise
        except Exception as exc:  # the runtime failed on this input: a counted 500 for this version
            import logging

            logging.getLogger("slipway.serving").warning(
                "inference failed",
                extra={
                    "model": name,
                    "version": admitted.served.version,
                    "variant": variant,
                    "error": f"{type(exc).__name__}: {exc}"[:300],
                },
            )
            raise HttpError(
                500, f"inference failed on version {admitted.served.version}: {type(exc).__name__}"
            ) from None
        admitted.served = served
        labels = outputs.get("label")
        if labels is not None:
            gw.count_predictions(name, served.version, variant, labels)
            gw.observe_confidence(name, served.version, variant, outputs)
            gw.profiler.offer(
                name,
                served.version,
                variant,
                served.columns,
                served.profile_rows(x, outputs),
                labels,
            )
            state = admitted.state
            if state.routing.mode == "shadow" and state.canary is not None:
                gw.mirror(state, x, labels)
        return outputs

    def record(
        self,
        model: str,
        version: str,
        variant: str,
        code: int,
        started: float,
        request_id: str,
        path: str,
        key_id: str,
    ) -> float:
        elapsed = time.perf_counter() - started
        label_model = model if model in self.gw.manager.states else "_unknown"
        self.gw.metrics.request(label_model, version, variant, code, elapsed)
        if self.gw.access_log is not None:
            self.gw.access_log.write(
                {
                    "msg": "request",
                    "request_id": request_id,
                    "path": path,
                    "model": label_model,
                    "version": version,
                    "variant": variant,
                    "code": code,
                    "key_id": key_id,
                    "ms": round(elapsed * 1000, 3),
                }
            )
        return elapsed

    # -- metadata -------------------------------------------------------------------------
    def model_ready(self, name: str, version: str | None, headers, query_names) -> bool:
        self.authorize(headers, query_names)
        state = self.state(name)
        if version is not None:
            return pinned(state, name, version) is not None
        return state.champion is not None

    def metadata(self, name: str, version: str | None, headers, query_names) -> dict:
        self.authorize(headers, query_names)
        state = self.state(name)
        served = pinned(state, name, version) if version is not None else state.champion
        if served is None:
            raise HttpError(404, f"model {name!r} has no loaded version yet")
        return model_metadata(name, state, served, version)


def pinned(state: ModelState, name: str, version: str) -> Served:
    """Exactly `version` when this replica has it loaded (champion, canary or shadow)."""
    for served in (state.champion, state.canary):
        if served is not None and served.version == version:
            return served
    loaded = [s.version for s in (state.champion, state.canary) if s is not None]
    raise HttpError(
        404,
        f"model {name!r} version {version[:40]!r} is not loaded here "
        f"(loaded: {', '.join(loaded) or 'none'})",
    )


def route(state: ModelState, route_key: str | None) -> tuple[Served | None, str]:
    if state.champion is None:
        return None, "champion"
    if state.second_variant == "canary":
        draw = sticky_draw(route_key) if route_key else random.random()
        if choose_variant(state.routing, draw) == "canary":
            return state.canary, "canary"
    return state.champion, "champion"


def contract_inputs(contract: ServingContract) -> list[dict]:
    return [tensor_meta(t.name, t.datatype, t.shape) for t in contract.tensors]


def model_metadata(name: str, state: ModelState, served: Served, version: str | None) -> dict:
    versions = (
        [served.version]
        if version is not None
        else [s.version for s in (state.champion, state.canary) if s is not None]
    )
    extras = {
        "version": served.version,
        "candidate": served.candidate,
        "runtime": served.runtime,
        **(
            {
                "features": served.columns,
                "feature_inputs": "one FP32 [N] input per feature also works",
            }
            if served.contract.is_tabular
            else {"profiled": served.columns}
        ),
        "champion": state.champion.version if state.champion else None,
        "routing": state.routing.model_dump(),
    }
    outputs = [tensor_meta(n, d, s) for n, d, s in served.outputs]
    return metadata_doc(
        name,
        versions,
        _PLATFORMS.get(served.runtime, served.runtime),
        contract_inputs(served.contract),
        outputs,
        extras,
    )
