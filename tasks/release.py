"""Tasks of the `release` flow besides the stages' own flows."""

from __future__ import annotations

from prefect import task

from slipway.release.params import ReleaseParams


@task(name="check-model-source")
def check_source(params: ReleaseParams) -> str:
    """The model is of a kind slipway reads; the eval and reference tables hold the label."""
    from slipway.release.source import check_source as check

    return check(params)
