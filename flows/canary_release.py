"""`canary-release`: pre-flight, then progressive traffic with analysis at every step, then
promote through the guarded registry function or roll back. All progress lives in the
registry, so a rerun after a crash resumes or finishes cleanly."""

from __future__ import annotations

from prefect import flow

from slipway.canary.params import CanaryParams, CanaryResult
from tasks.canary_release import (
    abort_canary,
    begin_canary,
    check_evidence,
    infra_check,
    open_canary,
    promote_version,
    publish_report,
    roll_back,
    run_step,
)


@flow(name="canary-release", log_prints=True)
def canary_release(params: CanaryParams) -> CanaryResult:
    opening = open_canary(params)
    print(opening.message)
    progress, preflight = opening.progress, []
    if opening.action == "start":
        problems = check_evidence(params.name, progress.version)
        infra = infra_check(params.name, progress.version, params.infra_check_timeout_s)
        preflight = [
            f"evidence: {'complete and passing' if not problems else '; '.join(problems)}",
            f"infra check: {'ok' if infra.ok else 'FAILED'}: {infra.detail}",
        ]
        print("\n".join(preflight))
        progress = begin_canary(params.name, progress)
        if problems or not infra.ok:
            why = "; ".join(problems) if problems else f"infra check: {infra.detail}"
            progress = abort_canary(
                params.name,
                progress,
                f"pre-flight failed: {why}",
                ["evidence"] if problems else ["infra_check"],
            )
    while progress.status == "running":
        if params.approve_before_last and progress.is_last_step and not progress.approved:
            from tasks.canary_approval import wait_for_approval

            approved, note = wait_for_approval(
                progress.version, progress.step.label, params.approval_timeout_s
            )
            if not approved:
                progress = abort_canary(
                    params.name,
                    progress,
                    f"not approved before the last step: {note}",
                    ["approval"],
                )
                break
            progress = begin_canary(params.name, progress.model_copy(update={"approved": True}))
        progress = run_step(params, progress)
    if opening.action not in ("already_promoted", "already_rolled_back"):
        if progress.status in ("promoting", "promoted"):
            progress = promote_version(params.name, progress)
        else:
            progress = roll_back(params.name, progress)
    result = publish_report(params.name, progress, preflight)
    print(result.summary)
    return result
