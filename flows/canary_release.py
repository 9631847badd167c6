"""`canary-release`: pre-flight, then progressive traffic with analysis at every step, then
promote through the guarded registry function or roll back. All progress lives in the
registry, so a rerun after a crash resumes or finishes cleanly.

Two strategies, one flow (a strategy is only a plan of steps): `canary` moves traffic in
increasing weights; `blue-green` loads the new version beside the champion at 0 % (warm), then
switches all traffic at once for one bake window and switches back on failure. A rollback
ends the flow run Failed (`CanaryRolledBack` carries the result); a metrics source that does
not answer fails the run in pre-flight without touching the version or the routing.
"""

from __future__ import annotations

from prefect import flow

from slipway.canary.params import CanaryParams, CanaryResult, CanaryRolledBack
from tasks.canary_release import (
    abort_canary,
    begin_canary,
    check_evidence,
    infra_check,
    open_canary,
    probe_metrics,
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
        preflight = [f"evidence: {'complete and passing' if not problems else '; '.join(problems)}"]
        if not problems:  # a version that cannot ship is rejected whatever the gateway says
            preflight.append(probe_metrics(params, progress.champion_version))
        infra = infra_check(params.name, progress.version, params.infra_check_timeout_s)
        preflight.append(f"infra check: {'ok' if infra.ok else 'FAILED'}: {infra.detail}")
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
    result = publish_report(
        params.name, progress, preflight, nothing_to_do=opening.action == "already_promoted"
    )
    print(result.summary)
    if result.decision == "rollback":
        raise CanaryRolledBack(result)  # the run ends Failed with the reason (red in the UI)
    return result


def run_canary(params: CanaryParams) -> CanaryResult:
    """Run the flow (or a subflow of the caller's) and return its result, promoted or rolled
    back; other failures (bad input, a metrics source down in pre-flight) raise."""
    try:
        return canary_release(params)
    except CanaryRolledBack as rolled_back:
        return rolled_back.result
