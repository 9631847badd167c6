"""Manual approval before the last canary step: the flow pauses and the Prefect UI shows a form.

Called by the canary-release flow itself (a pause belongs to the flow run, not to a task)."""

from __future__ import annotations

from prefect.input import RunInput


class Approval(RunInput):
    approve: bool
    note: str = ""


def wait_for_approval(
    version: str, step_label: str, timeout_s: int, poll_s: int = 2
) -> tuple[bool, str]:
    """Pause this flow run until someone answers (approve or not); (False, why) on timeout."""
    from prefect.exceptions import FlowPauseTimeout
    from prefect.flow_runs import pause_flow_run

    print(
        f"waiting up to {timeout_s} s for approval of version {version} before step {step_label} "
        "(resume the flow run in the Prefect UI with approve true/false)"
    )
    try:
        answer = pause_flow_run(
            wait_for_input=Approval,
            timeout=timeout_s,
            poll_interval=poll_s,
            key=f"approve-{version}",
        )
    except FlowPauseTimeout:
        return False, f"no approval within {timeout_s} s"
    if answer is None:
        return False, "resumed without an answer"
    return answer.approve, answer.note or ("approved" if answer.approve else "not approved")
