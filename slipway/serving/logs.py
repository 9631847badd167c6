"""Structured JSON logs (one object per line) for the gateway.

The server stack's loggers (uvicorn, asyncio, grpc) go through the same formatter, so a
traceback from any of them is one JSON line (`exc` holds the whole traceback as a string),
never a multi-line dump that log shippers split into unrelated records."""

from __future__ import annotations

import json
import logging
import sys
import time

import orjson

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                doc[key] = value
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
            doc["error"] = doc["exc"].splitlines()[-1]
        return json.dumps(doc, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in (
        "slipway.serving",
        "slipway.access",
        "uvicorn",
        "uvicorn.error",
        "asyncio",
        "grpc",
    ):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level if name.startswith("slipway") else "WARNING")
        logger.propagate = False


class AccessLog:
    """One JSON line per request (logger `slipway.access`), buffered in memory and written
    in one call per `flush_every_s` by the gateway (and at shutdown): a write per request
    would cost more than the request's inference on a small model."""

    def __init__(self, stream=None, flush_every_s: float = 1.0, max_lines: int = 10_000) -> None:
        self.stream = stream
        self.flush_every_s = flush_every_s
        self.max_lines = max_lines
        self._lines: list[bytes] = []
        self._second = -1
        self._stamp = ""

    def write(self, fields: dict) -> None:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second, self._stamp = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
        doc = {
            "ts": f"{self._stamp}.{int((now - second) * 1000):03d}Z",
            "level": "info",
            "logger": "slipway.access",
            **fields,
        }
        self._lines.append(orjson.dumps(doc))
        if len(self._lines) >= self.max_lines:
            self.flush()

    def flush(self) -> None:
        lines, self._lines = self._lines, []
        if lines:
            stream = self.stream or sys.stderr
            stream.write(b"\n".join(lines).decode() + "\n")
            stream.flush()
