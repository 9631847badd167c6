"""What a release does once its version is registered: a pure decision.

With no champion yet the first version goes through the guarded promote (when allowed); with
a champion, a canary runs when the release was given canary options; otherwise the version
waits as `candidate` for the canary-release deployment (triggered by the registered event)
or `slipway canary`. A version that already is the champion has nothing left to release.
"""

from __future__ import annotations

from typing import Literal

NextStep = Literal["already-champion", "promote", "canary", "wait"]
Outcome = Literal[
    "promoted", "canary-promoted", "canary-rolled-back", "already-champion", "registered"
]


def next_step(version: str, champion: str | None, *, promote_first: bool, canary: bool) -> NextStep:
    """The step after register-version for `version`, given the current champion."""
    if champion == version:
        return "already-champion"
    if champion is None:
        return "promote" if promote_first else "wait"
    return "canary" if canary else "wait"


def outcome_of(step: NextStep, canary_promoted: bool | None = None) -> Outcome:
    """The release's outcome label for a step taken (and, for a canary, its decision)."""
    if step == "promote":
        return "promoted"
    if step == "canary":
        return "canary-promoted" if canary_promoted else "canary-rolled-back"
    if step == "already-champion":
        return "already-champion"
    return "registered"
