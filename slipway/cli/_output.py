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


INPUT_SHAPE_HELP = (
    "image models: one item's shape such as 1,32,32 (each data row is one flattened item)"
)


def parse_shape(text: str | None, flag: str = "--input-shape") -> list[int] | None:
    """`1,32,32` -> [1, 32, 32]; BadInput naming the flag for anything else."""
    if text is None:
        return None
    from slipway.errors import BadInput

    try:
        shape = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        shape = []
    if not shape or any(d <= 0 for d in shape):
        raise BadInput(f"{flag} {text!r}: give positive integers separated by commas (1,32,32)")
    return shape
