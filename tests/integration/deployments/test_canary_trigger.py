"""The canary-release trigger in prefect.yaml, applied to the session's real Prefect server.

Given a deployment of a small probe flow with exactly the trigger spec from prefect.yaml,
when `slipway.model.version.registered` is emitted for a model version,
then the server schedules a flow run of that deployment with the name and version as parameters
(and none for other slipway events), and the run reads the gateway URL the deployment sets as a
job variable (the trigger's `params` replace the deployment's `params` whole, so a parameter
could not carry it).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import yaml
from prefect import flow
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[3]


class ProbeParams(BaseModel):
    name: str
    version: str


@flow(name="canary-trigger-probe")
def canary_trigger_probe(params: ProbeParams) -> str:
    return f"{params.name}/{params.version}"


def canary_deployment_spec() -> dict:
    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    (spec,) = [d for d in deployments if d["name"] == "canary-release"]
    return spec


def canary_trigger_spec() -> dict:
    (trigger,) = canary_deployment_spec()["triggers"]
    return trigger


def test_trigger_spec_listens_for_registered_versions():
    from slipway import events

    trigger = canary_trigger_spec()
    assert trigger["expect"] == [events.REGISTERED]
    assert trigger["match"] == {"prefect.resource.id": "mlflow.model.*"}
    assert trigger["parameters"] == {
        "params": {"name": "{{ event.payload.name }}", "version": "{{ event.payload.version }}"}
    }


def runs_of(deployment_id, timeout_s: float, emit_again) -> list:
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    deadline = time.monotonic() + timeout_s
    next_emit = time.monotonic() + 10
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
            )
            if runs:
                return runs
            if (
                time.monotonic() > next_emit
            ):  # the trigger may not have been loaded yet by the server
                emit_again()
                next_emit = time.monotonic() + 10
            time.sleep(0.5)
    return []


def process_pool() -> str:
    """A process work pool on the session's server (the kind `slipway up` uses)."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker

    name = f"probe-pool-{uuid.uuid4().hex[:6]}"
    with get_client(sync_client=True) as client:
        client.create_work_pool(
            WorkPoolCreate(
                name=name,
                type="process",
                base_job_template=ProcessWorker.get_default_base_job_template(),
            )
        )
    return name


def worker_env(deployment_id, run) -> dict:
    """The environment a process worker gives the run: the work pool's base job template filled
    with the deployment's job variables, then the run's (as ProcessWorker does)."""
    import asyncio

    from prefect import get_client
    from prefect.workers.process import ProcessJobConfiguration

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment(deployment_id)
        pool = client.read_work_pool(deployment.work_pool_name)
    values = {**(deployment.job_variables or {}), **(run.job_variables or {})}
    configuration = asyncio.run(
        ProcessJobConfiguration.from_template_and_values(pool.base_job_template, values)
    )
    return {k: v for k, v in configuration.env.items() if v is not None}


@pytest.mark.slow
def test_registered_event_schedules_a_run_of_the_deployment(monkeypatch):
    from prefect.events import DeploymentEventTrigger

    from slipway import events
    from slipway.canary.params import CanaryParams

    spec, trigger = canary_deployment_spec(), canary_trigger_spec()
    gateway = spec["work_pool"]["job_variables"]["env"]["SLIPWAY_GATEWAY_URL"]
    deployment = canary_trigger_probe.to_deployment(
        name=f"canary-release-probe-{uuid.uuid4().hex[:8]}",
        triggers=[DeploymentEventTrigger(**{k: v for k, v in trigger.items() if k != "enabled"})],
        parameters=spec["parameters"],
        job_variables=spec["work_pool"]["job_variables"],
    )
    deployment_id = deployment.apply(work_pool_name=process_pool())
    model = f"probe-{uuid.uuid4().hex[:6]}"

    def emit():
        events.emit(events.REGISTERED, model, "7", {"run_id": "r1"})

    events.emit(events.PROMOTED, model, "3", {"previous": None})  # another event: no run for it
    emit()
    runs = runs_of(deployment_id, timeout_s=60, emit_again=emit)
    assert runs, "no flow run of the deployment was scheduled within 60 s of the event"
    assert {r.parameters["params"]["version"] for r in runs} == {"7"}
    assert runs[0].parameters == {"params": {"name": model, "version": "7"}}
    assert runs[0].state.type.value in ("SCHEDULED", "PENDING")
    # the canary the worker would run reads the deployment's gateway, not the built-in default
    env = worker_env(deployment_id, runs[0])
    assert env["SLIPWAY_GATEWAY_URL"] == gateway
    monkeypatch.setenv("SLIPWAY_GATEWAY_URL", "http://gateway.example:9000")
    assert CanaryParams(**runs[0].parameters["params"]).gateway_url == "http://gateway.example:9000"
    monkeypatch.setenv("SLIPWAY_GATEWAY_URL", env["SLIPWAY_GATEWAY_URL"])
    assert CanaryParams(**runs[0].parameters["params"]).gateway_url == gateway
