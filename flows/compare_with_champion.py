"""`compare-with-champion`: before any traffic, the candidate against the current champion on
the same labelled rows (`champion_comparison`) and its serving contract against the champion's
(`contract_compatibility`). Both results go into the new version's evidence."""

from __future__ import annotations

from prefect import flow

from slipway.compare.params import CompareParams, CompareResult
from slipway.compare.stage import lines
from tasks.compare_with_champion import compare, comparison_artifact


@flow(name="compare-with-champion", log_prints=True)
def compare_with_champion(params: CompareParams) -> CompareResult:
    result = compare(params)
    comparison_artifact(params.name, result)
    print("\n".join(lines(result)))
    return result
