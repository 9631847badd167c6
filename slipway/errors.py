"""Errors a user can cause or a gate can raise, each with the exit code the CLI uses.

Exit codes everywhere: 0 success, 1 a gate failed, 2 bad input or usage.
"""

from __future__ import annotations


class SlipwayError(Exception):
    """Base error: its message names the thing and says what to do."""

    exit_code = 1


class BadInput(SlipwayError):
    """The user gave something unusable: a missing file, a bad key, a bad flag."""

    exit_code = 2


class GateFailed(SlipwayError):
    """A release gate did not pass. `report` carries the typed result, when there is one."""

    exit_code = 1

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class ConfigError(BadInput):
    """Settings or environment are wrong (missing credentials, unreachable service)."""


class Unavailable(SlipwayError):
    """A backend or device is not usable on this machine (e.g. no CUDA device)."""

    exit_code = 1
