"""Runs a stopped `slipway up` left behind: marked Crashed when the next one starts.

A process worker's flow runs are child processes of the worker; when `slipway up` stops (or
its worker dies) mid-run, nobody reports their end and the Prefect server shows them
RUNNING forever, which the drift monitor's de-duplication would read as "a retrain is in
progress". When `slipway up` starts, no worker of its pool is alive yet, so every run of
that pool still PENDING, RUNNING or CANCELLING is an orphan: it is set Crashed (forced, with
the reason), through Prefect's REST API (the library layer does not import Prefect).
Runs of other pools (a Kubernetes pool's jobs may well be running) are left alone.
"""

from __future__ import annotations

ORPHAN_STATES = ("PENDING", "RUNNING", "CANCELLING")
MESSAGE = "orphaned: the slipway up that ran it stopped before the run ended"


def orphaned_runs(api_url: str, pool: str, limit: int = 200) -> list[dict]:
    """Flow runs of `pool` in a state only a live worker could end."""
    import httpx

    body = {
        "flow_runs": {"state": {"type": {"any_": list(ORPHAN_STATES)}}},
        "work_pools": {"name": {"any_": [pool]}},
        "limit": limit,
    }
    answer = httpx.post(f"{api_url}/flow_runs/filter", json=body, timeout=30)
    answer.raise_for_status()
    return answer.json()


def crash_orphaned_runs(api_url: str, pool: str) -> list[str]:
    """Set every orphaned run of `pool` Crashed; return their names."""
    import httpx

    crashed = []
    for run in orphaned_runs(api_url, pool):
        state = {"type": "CRASHED", "name": "Crashed", "message": MESSAGE}
        answer = httpx.post(
            f"{api_url}/flow_runs/{run['id']}/set_state",
            json={"state": state, "force": True},
            timeout=30,
        )
        answer.raise_for_status()
        crashed.append(run.get("name") or run["id"])
    return crashed
