"""Tasks of the `compare-with-champion` flow: thin wrappers over slipway.compare."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from slipway.compare.params import CompareParams, CompareResult


@task(name="compare-with-champion", cache_policy=NO_CACHE)
def compare(params: CompareParams) -> CompareResult:
    """Both models on the same labelled rows and both contracts; GateFailed when worse."""
    from slipway.compare.stage import compare as run

    return run(params)


@task(name="comparison-artifact", cache_policy=NO_CACHE)
def comparison_artifact(name: str, result: CompareResult) -> None:
    rows = "\n".join(
        f"| {gate} | {r.status} | {r.summary.replace('|', '/')} |"
        for gate, r in result.gates.items()
    )
    create_markdown_artifact(
        key=f"compare-{name.lower().replace('_', '-').replace('.', '-')}",
        markdown=f"# {name} vs its champion\n\n| gate | status | summary |\n|---|---|---|\n{rows}\n"
        if rows
        else f"# {name}\n\n{result.summary}\n",
        description="compare-with-champion",
    )
