"""Shared output helpers: one JSON document on stdout with --json, text otherwise."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

_json_out = None
"""Where the one JSON document goes while `json_stdout_only` holds stdout for it."""


def to_jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def emit_json(value: Any) -> None:
    out = _json_out or sys.stdout
    out.write(json.dumps(to_jsonable(value), indent=2, default=str) + "\n")
    out.flush()


def _is_fd1(stream) -> bool:
    try:
        return os.path.sameopenfile(stream.fileno(), 1)
    except (AttributeError, OSError, ValueError):
        return False


@contextlib.contextmanager
def json_stdout_only(enabled: bool) -> Iterator[None]:
    """With --json, stdout carries the JSON document and nothing else: everything any library
    prints meanwhile (progress bars of NNCF/rich/tqdm, OpenVINO's C++ output, print calls)
    goes to stderr, at the Python level (`sys.stdout`) and at the file-descriptor level."""
    global _json_out
    if not enabled:
        yield
        return
    original = sys.stdout
    original.flush()
    saved = None
    if _is_fd1(original):
        saved = os.dup(1)
        os.dup2(2, 1)
        _json_out = os.fdopen(saved, "w", closefd=False)
    else:
        _json_out = original
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = original
        _json_out.flush()
        if saved is not None:
            sys.stderr.flush()
            os.dup2(saved, 1)
            os.close(saved)
        _json_out = None


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


def flag_error(exc):
    """A pydantic ValidationError of a command's params as BadInput naming the flag:
    `--steps [0]: ...` (or the model-level message when no field is at fault)."""
    from slipway.errors import BadInput

    err = exc.errors()[0]
    message = err["msg"].removeprefix("Value error, ")
    if not err["loc"]:
        return BadInput(message)
    flag = "--" + str(err["loc"][-1]).replace("_", "-")
    return BadInput(f"{flag} {err.get('input')!r}: {message}")
