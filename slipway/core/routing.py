"""Routing between champion and canary: a tag on the registered model that every gateway
replica polls. Pure: parsing, validation and the per-request choice."""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from slipway.core.tags import ROUTING

ROUTING_TAG = ROUTING

Mode = Literal["off", "canary", "shadow"]


class Routing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode = "off"
    weight: int = Field(0, ge=0, le=100)
    """Percent of live traffic the canary answers (mode=canary)."""
    canary_version: str | None = None
    """The registry version that is the canary (or the shadow)."""

    def to_tag(self) -> str:
        return json.dumps(self.model_dump(), sort_keys=True)

    @classmethod
    def from_tag(cls, value: str | None) -> Routing:
        if not value:
            return cls()
        return cls.model_validate_json(value)


def choose_variant(routing: Routing, draw: float) -> Literal["champion", "canary"]:
    """`draw` in [0, 1): below weight/100 the canary answers (only in canary mode)."""
    if routing.mode != "canary" or routing.canary_version is None or routing.weight <= 0:
        return "champion"
    return "canary" if draw < routing.weight / 100.0 else "champion"


def sticky_draw(key: str) -> float:
    """A stable draw in [0, 1) from a request header value, for sticky routing."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
