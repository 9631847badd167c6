"""Tasks of the `rollback` flow."""

from __future__ import annotations

from prefect import task

from slipway.drift.params import RollbackResult


@task(name="roll-back")
def roll_back(name: str, reason: str) -> RollbackResult:
    """The guarded rollback (BadInput, with a clear message, when there is no `previous`)."""
    from tasks.promote import guarded_rollback

    moved = guarded_rollback(name, reason)
    return RollbackResult(
        model_name=name, champion=moved.version, demoted=str(moved.previous), reason=reason
    )


@task(name="emit-rolled-back")
def emit_rolled_back(result: RollbackResult) -> str | None:
    from slipway import events

    return events.emit(
        events.MODEL_ROLLED_BACK,
        result.model_name,
        result.champion,
        {"demoted": result.demoted, "reason": result.reason},
    )
