"""Runs left RUNNING by a stopped `slipway up` (issue 19 item 4), against the session's real
Prefect API: `slipway up` marks its own pool's orphans Crashed, and the drift monitor's
de-duplication ignores a run that has not been updated within the cooldown."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from slipway.core.tags import model_run_tag
from slipway.stack.orphans import MESSAGE, crash_orphaned_runs

pytestmark = pytest.mark.slow


def api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def run_in(pool: str, flow_name: str, state: str, tags: tuple[str, ...] = ()) -> str:
    """A flow run of a deployment in `pool`, forced into `state` (as a dead worker leaves it)."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.states import Pending, Running, Scheduled

    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
        except ObjectAlreadyExists:
            pass
        flow_id = client.create_flow_from_name(flow_name)
        deployment = client.create_deployment(
            flow_id=flow_id, name=f"orphan-{uuid.uuid4().hex[:8]}", work_pool_name=pool
        )
        run = client.create_flow_run_from_deployment(deployment, tags=list(tags))
        new = {"RUNNING": Running, "PENDING": Pending, "SCHEDULED": Scheduled}[state]()
        client.set_flow_run_state(run.id, new, force=True)
        return str(run.id)


def state_of(run_id: str):
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(uuid.UUID(run_id)).state


def test_up_marks_its_own_pools_running_and_pending_runs_crashed_and_leaves_the_rest():
    # given a previous `slipway up` died with a RUNNING and a PENDING run in its pool, a run
    # waiting for a worker there, and a RUNNING run in another pool (a Kubernetes job, say)
    pool, other = f"up-{uuid.uuid4().hex[:8]}", f"k8s-{uuid.uuid4().hex[:8]}"
    running = run_in(pool, "orphan-probe", "RUNNING")
    pending = run_in(pool, "orphan-probe", "PENDING")
    scheduled = run_in(pool, "orphan-probe", "SCHEDULED")
    elsewhere = run_in(other, "orphan-probe", "RUNNING")
    # when the next `slipway up` starts
    crashed = crash_orphaned_runs(api_url(), pool)
    # then its orphans are Crashed with the reason, and nothing else changed
    assert len(crashed) == 2
    for run in (running, pending):
        state = state_of(run)
        assert state.type.name == "CRASHED" and state.message == MESSAGE
    assert state_of(scheduled).type.name == "SCHEDULED"  # the new worker will pick it up
    assert state_of(elsewhere).type.name == "RUNNING"
    assert crash_orphaned_runs(api_url(), pool) == []


def test_the_monitor_ignores_a_retrain_not_updated_within_the_cooldown():
    from tasks.drift import action_history

    # given a retrain run of this model left RUNNING
    model = f"orphaned-{uuid.uuid4().hex[:8]}"
    run_in(f"up-{uuid.uuid4().hex[:8]}", "retrain", "RUNNING", tags=(model_run_tag(model),))
    # then it blocks another retrain while it was updated within the cooldown
    running, last = action_history(model, timedelta(hours=1))
    assert running == frozenset({"retrain"}) and "retrain" in last
    # and no longer once its last update is older than the cooldown
    running, last = action_history(model, timedelta(0))
    assert running == frozenset() and "retrain" in last  # still counts for the cooldown itself
