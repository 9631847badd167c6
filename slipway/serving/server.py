"""Run the gateway under uvicorn with a draining SIGTERM.

SIGTERM (or SIGINT): readiness turns false at once; after `drain_delay_s` the listener
closes and in-flight requests get `drain_window_s` to finish (uvicorn's graceful
shutdown); then the lifespan shutdown stops the poller, flushes profiles, and the
process exits 0.
"""

from __future__ import annotations

import logging
import threading

import uvicorn

from slipway.serving.app import build_app
from slipway.serving.config import ServeConfig
from slipway.serving.logs import configure_logging

log = logging.getLogger("slipway.serving")


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, gateway, drain_delay_s: float) -> None:
        super().__init__(config)
        self.gateway = gateway
        self.drain_delay_s = drain_delay_s

    def handle_exit(self, sig, frame) -> None:
        if self.gateway.draining:  # a second signal: stop waiting
            self.should_exit = True
            self.force_exit = True
            return
        self.gateway.draining = True
        log.info("draining", extra={"signal": int(sig), "delay_s": self.drain_delay_s})
        if self.drain_delay_s > 0:
            timer = threading.Timer(self.drain_delay_s, self._exit)
            timer.daemon = True
            timer.start()
        else:
            self._exit()

    def _exit(self) -> None:
        self.should_exit = True


def serve(config: ServeConfig) -> int:
    configure_logging()
    app = build_app(config)
    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(max(1, config.drain_window_s)),
        lifespan="on",
        ssl_certfile=str(config.ssl_certfile) if config.ssl_certfile else None,
        ssl_keyfile=str(config.ssl_keyfile) if config.ssl_keyfile else None,
        limit_concurrency=None,
        server_header=False,
    )
    server = DrainingServer(uv_config, app.state.gateway, config.drain_delay_s)
    server.run()
    return 0 if server.started else 1
