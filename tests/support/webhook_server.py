"""Run an ASGI app with uvicorn in a thread on a free loopback port (real HTTP for the tests)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from tests.conftest import free_port


@contextmanager
def serving(app, timeout_s: float = 20):
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the test receiver did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
