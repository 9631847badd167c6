"""Run the gateway under uvicorn with a draining SIGTERM, guarded connections and workers.

SIGTERM (or SIGINT): readiness turns false at once; after `drain_delay_s` the listener
closes and in-flight requests get `drain_window_s` to finish (uvicorn's graceful
shutdown); then the lifespan shutdown stops the poller, flushes profiles, and the
process exits 0.

`workers > 1`: this process binds the port, starts N worker processes that accept on the
shared socket (each loads the models and serves on its own event loop and core), passes
signals on and restarts a worker that dies. Metrics go through prometheus_client's
multiprocess files (any worker's `/metrics` sums all of them); each worker writes its own
profile stream (`<replica id>-w<i>`).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time

import uvicorn

from slipway.serving.app import build_app
from slipway.serving.config import ServeConfig
from slipway.serving.guard import guarded_protocol
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


def _server(config: ServeConfig) -> DrainingServer:
    app = build_app(config)
    gw = app.state.gateway
    protocol = guarded_protocol(
        config.header_timeout_s,
        config.body_timeout_s,
        config.max_connections,
        lambda reason: gw.metrics.connections_closed.labels(reason).inc(),
    )
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
        http=protocol,
        timeout_keep_alive=max(1, round(config.keep_alive_s)),
    )
    return DrainingServer(uv_config, gw, config.drain_delay_s)


def serve(config: ServeConfig) -> int:
    configure_logging()
    if config.workers > 1:
        return _supervise(config)
    server = _server(config)
    server.run()
    return 0 if server.started else 1


def _worker(config: ServeConfig, sock: socket.socket, index: int) -> None:
    """A worker process: serve on the inherited socket until told to stop."""
    configure_logging()
    from prometheus_client import values

    values.ValueClass = values.get_value_class()  # the module was imported before the dir was set
    server = _server(config.model_copy(update={"worker_index": index}))
    server.run(sockets=[sock])
    os._exit(0 if server.started else 1)


def _supervise(config: ServeConfig) -> int:
    import multiprocessing
    import tempfile

    from slipway.serving.auth import KeyRing

    KeyRing(config.keys_file, config.auth)  # a bad keys file: one clear error, not N dying workers
    metrics_dir = tempfile.mkdtemp(prefix="slipway-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # before any worker imports the client
    sock = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((config.host, config.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    ctx = multiprocessing.get_context("fork")  # the socket and config pass as they are
    workers: dict[int, multiprocessing.Process] = {}
    started: dict[int, float] = {}
    stopping = threading.Event()

    def start(index: int) -> None:
        proc = ctx.Process(
            target=_worker, args=(config, sock, index), name=f"slipway-worker-{index}"
        )
        proc.start()
        workers[index], started[index] = proc, time.monotonic()

    def on_signal(sig, frame) -> None:
        stopping.set()
        for proc in workers.values():
            if proc.is_alive():
                os.kill(proc.pid, sig)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("starting workers", extra={"workers": config.workers, "port": config.port})
    for i in range(config.workers):
        start(i)
    failed = False
    while workers:
        time.sleep(0.2)
        for index, proc in list(workers.items()):
            if proc.is_alive():
                continue
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(proc.pid)
            del workers[index]
            failed |= proc.exitcode != 0
            if stopping.is_set():
                continue
            if time.monotonic() - started[index] < 10.0:  # dies at start: restarting cannot help
                log.error(
                    "worker failed at start: stopping",
                    extra={"worker": index, "exitcode": proc.exitcode},
                )
                on_signal(signal.SIGTERM, None)
                continue
            log.error(
                "worker died: restarting it", extra={"worker": index, "exitcode": proc.exitcode}
            )
            start(index)
    sock.close()
    return 1 if failed else 0
