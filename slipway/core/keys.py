"""Artifact keys: relative, `/`-separated, no `..`, no empty segments."""

from __future__ import annotations

import re

from slipway.errors import BadInput

_SEGMENT = re.compile(r"^[A-Za-z0-9._=@+,:-]+$")


def validate_key(key: str) -> str:
    """Return `key` unchanged when it is a safe relative artifact key; raise BadInput otherwise."""
    if not isinstance(key, str) or not key:
        raise BadInput("artifact key is empty: give a relative path such as 'runs/abc/model.skops'")
    if key.startswith("/") or key.startswith("\\") or re.match(r"^[A-Za-z]:", key):
        raise BadInput(f"artifact key {key!r} is absolute: keys are relative to the artifact root")
    if "\\" in key:
        raise BadInput(f"artifact key {key!r} contains a backslash: use '/' between segments")
    for segment in key.split("/"):
        if segment == "":
            raise BadInput(f"artifact key {key!r} has an empty segment ('//' or a trailing '/')")
        if segment in (".", ".."):
            raise BadInput(
                f"artifact key {key!r} contains {segment!r}: keys may not leave the artifact root"
            )
        if not _SEGMENT.match(segment):
            raise BadInput(
                f"artifact key {key!r} has segment {segment!r} with characters outside "
                "letters, digits and ._=@+,:-"
            )
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty (everything) or a valid key, optionally ending in '/'."""
    if prefix == "":
        return prefix
    validate_key(prefix.rstrip("/"))
    return prefix


def join_key(*parts: str) -> str:
    """Join segments with '/' and validate the result."""
    return validate_key("/".join(p.strip("/") for p in parts if p))
