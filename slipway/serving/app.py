"""The gateway's HTTP API: OIP v2 (KServe/Triton), the simple v1 form, health, metrics, admin.

Inference requests go straight to `InferEndpoint` (plain ASGI, the hot path); everything
else is a Starlette route. Order of checks on an inference request: auth (401/403) -> model
(404) -> pinned version (404) -> rate limit (429) -> content type (415) -> body size (413,
before parsing) -> JSON (400) -> protocol (400) -> contract (422) -> inference (500, 504).
Every outcome is counted in `slipway_requests_total`. Every error, including unknown routes
(404) and methods (405), is `{"error": "..."}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from slipway.serving.config import ServeConfig
from slipway.serving.gateway import Gateway, HttpError
from slipway.serving.http_infer import InferEndpoint, parse_json, query_names, read_body
from slipway.serving.service import InferenceService

log = logging.getLogger("slipway.serving")


class GatewayApp:
    """ASGI entry: inference paths to the hot handler, the rest to Starlette."""

    def __init__(self, starlette: Starlette, infer: InferEndpoint) -> None:
        self.starlette, self.infer = starlette, infer
        self.state = starlette.state

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            target = infer_target(scope["path"])
            if target is not None:
                return await self.infer(scope, receive, send, *target)
        await self.starlette(scope, receive, send)


def infer_target(path: str) -> tuple[str, str, str | None] | None:
    """(form, model, version) for an inference path, else None."""
    if path.startswith("/v2/models/") and path.endswith("/infer"):
        rest = path[11:-6]
        if rest and "/" not in rest:
            return "v2", rest, None
        name, sep, version = rest.partition("/versions/")
        if sep and name and version and "/" not in name and "/" not in version:
            return "v2", name, version
    elif path.startswith("/v1/models/") and path.endswith(":predict"):
        name = path[11:-8]
        if name and "/" not in name:
            return "v1", name, None
    return None


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status, headers=headers)


def build_app(config: ServeConfig, gateway: Gateway | None = None) -> GatewayApp:
    gw = gateway or Gateway(config)
    svc = InferenceService(gw)
    infer = InferEndpoint(svc, config.max_body_bytes)

    def guarded(handler):
        """An endpoint whose HttpError becomes its JSON answer."""

        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except HttpError as exc:
                return _error(exc.status, exc.message, exc.headers)

        return endpoint

    class InferRoute:  # the same handler behind Starlette's routes (405s, the route table)
        def __init__(self, form: str) -> None:
            self.form = form

        async def __call__(self, scope, receive, send) -> None:
            params = scope.get("path_params", {})
            await infer(scope, receive, send, self.form, params["name"], params.get("version"))

    async def live(request: Request) -> Response:
        return JSONResponse({"live": True})

    async def ready(request: Request) -> Response:
        ok = gw.ready()
        return JSONResponse(
            {"ready": ok, "draining": gw.draining, "load_failures": gw.manager.failures()},
            200 if ok else 503,
        )

    async def server_metadata(request: Request) -> Response:
        from slipway import __version__

        return JSONResponse(
            {"name": "slipway", "version": __version__, "extensions": ["binary_tensor_data"]}
        )

    async def metrics(request: Request) -> Response:
        return Response(gw.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def metadata(request: Request) -> Response:
        p = request.path_params
        doc = svc.metadata(p["name"], p.get("version"), request.headers, query_names(request.scope))
        return JSONResponse(doc)

    async def model_ready(request: Request) -> Response:
        p = request.path_params
        ok = svc.model_ready(
            p["name"], p.get("version"), request.headers, query_names(request.scope)
        )
        return JSONResponse({"name": p["name"], "ready": ok}, 200 if ok else 503)

    async def openapi(request: Request) -> Response:
        from slipway.serving.openapi import openapi_document

        return JSONResponse(openapi_document(config.enable_admin))

    async def admin(request: Request) -> Response:
        key_id = svc.authorize(request.headers, query_names(request.scope), "admin")
        name = request.path_params["name"]
        svc.state(name)
        if request.url.path.endswith("/routing") and request.method == "PUT":
            body = await read_body(
                request.receive, request.headers.get("content-length"), config.max_body_bytes
            )
            routing = gw.parse_routing(parse_json(body))
            await asyncio.to_thread(gw.set_routing, name, routing)
        if request.url.path.endswith("/reload"):
            gw.manager.retry_now(name)
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
        Route("/v2", server_metadata, methods=["GET"]),
        Route("/v2/health/live", live, methods=["GET"]),
        Route("/v2/health/ready", ready, methods=["GET"]),
        Route("/v2/openapi.json", openapi, methods=["GET"]),
        Route("/v2/models/{name}", guarded(metadata), methods=["GET"]),
        Route("/v2/models/{name}/ready", guarded(model_ready), methods=["GET"]),
        Route("/v2/models/{name}/infer", InferRoute("v2"), methods=["POST"]),
        Route("/v2/models/{name}/versions/{version}", guarded(metadata), methods=["GET"]),
        Route("/v2/models/{name}/versions/{version}/ready", guarded(model_ready), methods=["GET"]),
        Route("/v2/models/{name}/versions/{version}/infer", InferRoute("v2"), methods=["POST"]),
        Route("/v1/models/{name}:predict", InferRoute("v1"), methods=["POST"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if config.enable_admin:
        routes += [
            Route("/admin/models/{name}/reload", guarded(admin), methods=["POST"]),
            Route("/admin/models/{name}/routing", guarded(admin), methods=["GET", "PUT"]),
        ]

    async def http_exception(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            message = f"no route {request.method} {request.url.path[:200]}: see /v2/openapi.json"
        elif exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "")
            message = (
                f"method {request.method} is not allowed on {request.url.path[:200]} "
                f"(allowed: {allowed})"
            )
        else:
            message = str(exc.detail)
        return _error(exc.status_code, message, exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled error", exc_info=exc, extra={"path": request.url.path[:200]})
        return _error(500, "internal error: see the gateway log")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        """The gateway's lifespan, plus the gRPC server on the same loop with --grpc-port."""
        async with gw.lifespan(app):
            grpc_server = None
            if config.grpc_port is not None:
                from slipway.serving.grpc_server import start_grpc

                grpc_server = await start_grpc(svc, config)
            try:
                yield
            finally:
                if grpc_server is not None:
                    await grpc_server.stop(config.drain_window_s)

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_exception, Exception: server_error},
    )
    app.state.gateway = gw
    app.state.service = svc
    return GatewayApp(app, infer)
