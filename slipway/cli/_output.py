"""Shared output helpers: one JSON document on stdout with --json, text otherwise."""

from __future__ import annotations

import json
import sys
from typing import Any


def to_jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, default=str) + "\n")
    sys.stdout.flush()


def quiet_prefect_for_json(args) -> None:
    """With --json, keep stdout for the JSON document: Prefect's logs go to stderr only."""
    import os

    if getattr(args, "json", False):
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def add_json_flag(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as one JSON document")
