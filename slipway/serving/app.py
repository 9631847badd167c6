"""The gateway's HTTP API (Starlette): OIP v2, the simple v1 form, health, metrics, admin.

Order of checks on an inference request: auth (401/403) -> model (404) -> rate limit (429)
-> content type (415) -> body size (413, before parsing) -> JSON (400) -> contract (422)
-> inference (504 past the timeout). Every outcome is counted in `slipway_requests_total`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from slipway.core.ratelimit import retry_after_header
from slipway.core.request_validation import RequestInvalid, parse_instances, parse_oip
from slipway.core.routing import choose_variant, sticky_draw
from slipway.serving.config import ServeConfig
from slipway.serving.gateway import Gateway, HttpError

access = logging.getLogger("slipway.access")
log = logging.getLogger("slipway.serving")
ROUTE_KEY_HEADER = "x-slipway-route-key"


def build_app(config: ServeConfig, gateway: Gateway | None = None) -> Starlette:
    gw = gateway or Gateway(config)

    async def infer(request: Request, form: str) -> Response:
        started = time.perf_counter()
        headers = request.headers
        rid = headers.get("x-request-id") or uuid.uuid4().hex[:16]
        name = request.path_params["name"]
        label_model = name if name in gw.manager.states else "_unknown"
        version, variant, key_id = "", "champion", ""
        try:
            status, key_id, reason = gw.keys.check(headers, query_params(request), "predict")
            if status != 200:
                raise HttpError(status, reason)
            state = gw.manager.states.get(name)
            if state is None:
                raise HttpError(
                    404,
                    f"model {name!r} is not served here (served: {', '.join(gw.manager.names)})",
                )
            served, variant = route(state, request)
            if served is None:
                raise HttpError(503, f"model {name!r} has no loaded champion yet")
            version = served.version
            client_host = request.client.host if request.client else ""
            wait = gw.limiter.wait(key_id if gw.keys.enabled else client_host)
            if wait > 0:
                raise HttpError(
                    429,
                    "rate limit exceeded for this key",
                    {"Retry-After": retry_after_header(wait)},
                )
            payload = await read_json(request, config.max_body_bytes)
            try:
                x = (
                    parse_oip(payload, served.contract)
                    if form == "v2"
                    else parse_instances(payload, served.contract)
                )
            except RequestInvalid as exc:
                gw.metrics.rejections.labels(name, version, variant).inc()
                raise HttpError(422, str(exc)) from None
            try:
                served, outputs = await gw.predict(name, served, variant, x)
            except HttpError:
                raise
            except (
                Exception
            ) as exc:  # the runtime failed on this input: a counted 500 for this version
                log.warning(
                    "inference failed",
                    extra={
                        "model": name,
                        "version": version,
                        "variant": variant,
                        "error": f"{type(exc).__name__}: {exc}"[:300],
                    },
                )
                raise HttpError(
                    500, f"inference failed on version {version}: {type(exc).__name__}"
                ) from None
            version = served.version
            labels = outputs.get("label")
            if labels is not None:
                gw.count_predictions(name, version, variant, labels)
                gw.profiler.offer(name, version, variant, served.contract.feature_names, x, labels)
                if state.routing.mode == "shadow" and state.canary is not None:
                    gw.mirror(state, x, labels)
            body = v2_body(name, version, rid, outputs) if form == "v2" else v1_body(outputs)
            body["model_version"], body["variant"] = version, variant
            code, content, extra = 200, orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), None
        except HttpError as exc:
            code, content, extra = exc.status, orjson.dumps({"error": exc.message}), exc.headers
        elapsed = time.perf_counter() - started
        gw.metrics.request(label_model, version, variant, code, elapsed)
        out_headers = {"X-Request-Id": rid}
        if version:
            out_headers["X-Slipway-Model-Version"] = version
            out_headers["X-Slipway-Variant"] = variant
        if extra:
            out_headers.update(extra)
        if gw.access_log is not None:
            gw.access_log.write(
                {
                    "msg": "request",
                    "request_id": rid,
                    "path": request.scope["path"],
                    "model": label_model,
                    "version": version,
                    "variant": variant,
                    "code": code,
                    "key_id": key_id,
                    "ms": round(elapsed * 1000, 3),
                }
            )
        return Response(content, code, headers=out_headers, media_type="application/json")

    def route(state, request: Request):
        if state.champion is None:
            return None, "champion"
        if state.second_variant == "canary":
            key = request.headers.get(ROUTE_KEY_HEADER)
            draw = sticky_draw(key) if key else random.random()
            if choose_variant(state.routing, draw) == "canary":
                return state.canary, "canary"
        return state.champion, "champion"

    async def v2_infer(request: Request) -> Response:
        return await infer(request, "v2")

    async def v1_predict(request: Request) -> Response:
        return await infer(request, "v1")

    async def live(request: Request) -> Response:
        return JSONResponse({"live": True})

    async def ready(request: Request) -> Response:
        ok = gw.ready()
        return JSONResponse({"ready": ok, "draining": gw.draining}, 200 if ok else 503)

    async def metrics(request: Request) -> Response:
        return Response(gw.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def metadata(request: Request) -> Response:
        status, _, reason = gw.keys.check(request.headers, query_params(request), "predict")
        if status != 200:
            return JSONResponse({"error": reason}, status)
        name = request.path_params["name"]
        state = gw.manager.states.get(name)
        if state is None or state.champion is None:
            return JSONResponse({"error": f"model {name!r} is not served here"}, 404)
        c = state.champion.contract
        return JSONResponse(
            {
                "name": name,
                "versions": [s.version for s in (state.champion, state.canary) if s is not None],
                "platform": state.champion.runtime,
                "candidate": state.champion.candidate,
                "routing": state.routing.model_dump(),
                "inputs": [{"name": c.input_name, "datatype": "FP32", "shape": c.shape}],
                "features": c.feature_names,
            }
        )

    async def admin(request: Request) -> Response:
        status, key_id, reason = gw.keys.check(request.headers, query_params(request), "admin")
        if status != 200:
            return JSONResponse({"error": reason}, status)
        name = request.path_params["name"]
        if name not in gw.manager.states:
            return JSONResponse({"error": f"model {name!r} is not served here"}, 404)
        if request.url.path.endswith("/routing") and request.method == "PUT":
            try:
                routing = gw.parse_routing(await read_json(request, config.max_body_bytes))
            except HttpError as exc:
                return JSONResponse({"error": exc.message}, exc.status)
            await asyncio.to_thread(gw.set_routing, name, routing)
        state = await asyncio.to_thread(gw.manager.refresh, name)
        log.info("admin action", extra={"model": name, "key_id": key_id, "path": request.url.path})
        return JSONResponse(
            {
                "model": name,
                "champion": state.champion.version if state.champion else None,
                "canary": state.canary.version if state.canary else None,
                "routing": state.routing.model_dump(),
            }
        )

    routes = [
        Route("/v2/health/live", live, methods=["GET"]),
        Route("/v2/health/ready", ready, methods=["GET"]),
        Route("/v2/models/{name}", metadata, methods=["GET"]),
        Route("/v2/models/{name}/infer", v2_infer, methods=["POST"]),
        Route("/v1/models/{name}:predict", v1_predict, methods=["POST"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if config.enable_admin:
        routes += [
            Route("/admin/models/{name}/reload", admin, methods=["POST"]),
            Route("/admin/models/{name}/routing", admin, methods=["GET", "PUT"]),
        ]
    app = Starlette(routes=routes, lifespan=gw.lifespan)
    app.state.gateway = gw
    return app


def query_params(request: Request):
    """The query parameters, without building Starlette's QueryParams when there are none."""
    return request.query_params if request.scope.get("query_string") else ()


async def read_json(request: Request, limit: int):
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        raise HttpError(415, f"content type {ctype or '(none)'!r} refused: send application/json")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise HttpError(413, f"body of {length} bytes is over the {limit}-byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"body is over the {limit}-byte limit")
        chunks.append(chunk)
    data = b"".join(chunks)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    # the standard parser also reads NaN/Infinity, which the contract check then names by
    # field
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HttpError(
            400, f"body is not valid JSON ({exc.__class__.__name__}: {str(exc)[:120]})"
        ) from None


def v1_body(outputs: dict) -> dict:
    labels = outputs.get("label")
    body = {
        "predictions": (labels if labels is not None else next(iter(outputs.values()))).tolist()
    }
    if "probabilities" in outputs:
        body["probabilities"] = outputs["probabilities"].tolist()
    return body


_OIP_TYPES = {
    "int64": "INT64",
    "int32": "INT32",
    "float32": "FP32",
    "float64": "FP64",
    "bool": "BOOL",
}


def v2_body(name: str, version: str, rid: str, outputs: dict) -> dict:
    return {
        "model_name": name,
        "model_version": version,
        "id": rid,
        "outputs": [
            {
                "name": k,
                "shape": list(v.shape),
                "datatype": _OIP_TYPES.get(str(v.dtype), "BYTES"),
                "data": v.reshape(-1).tolist(),
            }
            for k, v in outputs.items()
        ],
    }
