"""Connection guard: header and body read timeouts and a cap on open connections.

uvicorn closes idle keep-alive connections but times nothing else: a client that opens a
connection and sends nothing (or one header byte a second, or half a body) holds it, and its
slot, for ever. This protocol (uvicorn's httptools one, plus timers) gives every request
`header_timeout_s` from its first byte (or from the connection's start) to finish its
headers and `body_timeout_s` from then to finish its body; past either it answers 408 (when
no answer has started) and closes. A connection over `max_connections` is answered 503 and
closed at once. Each closing is counted in `slipway_connections_closed_total{reason}`.
"""

from __future__ import annotations

import asyncio

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def guarded_protocol(
    header_timeout_s: float, body_timeout_s: float, max_connections: int, on_close=None
) -> type:
    """A protocol class for `uvicorn.Config(http=...)` with these limits."""

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                self._answer_and_close(
                    503,
                    "over_limit",
                    f"the server holds its limit of {max_connections} connections: retry later",
                )
                return
            self._arm(header_timeout_s, "header_timeout")

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._timer is None:
                self._arm(header_timeout_s, "header_timeout")

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()
            if self.cycle is not None and self.cycle.more_body:
                self._arm(body_timeout_s, "body_timeout")

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        def _arm(self, seconds: float, reason: str) -> None:
            self._disarm()
            self._timer = self.loop.call_later(seconds, self._expired, reason)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _expired(self, reason: str) -> None:
            self._timer = None
            if self.transport.is_closing():
                return
            what = "headers" if reason == "header_timeout" else "body"
            seconds = header_timeout_s if reason == "header_timeout" else body_timeout_s
            self._answer_and_close(
                408, reason, f"request {what} did not arrive within {seconds:g}s"
            )

        def _answer_and_close(self, status: int, reason: str, message: str) -> None:
            cycle = self.cycle
            if cycle is None or not cycle.response_started:
                body = orjson.dumps({"error": message})
                phrase = b"Request Timeout" if status == 408 else b"Service Unavailable"
                self.transport.write(
                    b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                    b"connection: close\r\n\r\n%s" % (status, phrase, len(body), body)
                )
            if (
                cycle is not None
            ):  # the app's receive() returns http.disconnect; its send is dropped
                cycle.disconnected = True
                cycle.message_event.set()
            self.transport.close()
            if on_close is not None:
                on_close(reason)

    return GuardedHttpToolsProtocol
