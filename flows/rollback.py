"""`rollback`: move `champion` back to `previous` through the guarded promote, tag the demoted
version with the reason; gateway replicas pick up the alias and hot-swap."""

from __future__ import annotations

from prefect import flow

from slipway.drift.params import RollbackParams, RollbackResult
from tasks.rollback import emit_rolled_back, roll_back


@flow(name="rollback", log_prints=True)
def rollback(params: RollbackParams = RollbackParams()) -> RollbackResult:
    result = roll_back(params.model_name, params.reason)
    emit_rolled_back(result)
    print(
        f"{result.model_name}: champion is v{result.champion} again (v{result.demoted} demoted: "
        f"{result.reason})"
    )
    return result


if __name__ == "__main__":
    rollback()
