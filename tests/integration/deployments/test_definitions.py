"""Every prefect.yaml entrypoint imports and is a Prefect Flow; schedules and triggers parse."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from prefect import Flow

ROOT = Path(__file__).resolve().parents[3]
DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_entrypoint_is_a_flow(deployment):
    path, _, attr = deployment["entrypoint"].partition(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    flow = getattr(module, attr)
    assert isinstance(flow, Flow)
    assert deployment["work_pool"]["name"]


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_schedules_and_triggers_are_well_formed(deployment):
    from prefect.client.schemas.schedules import construct_schedule
    from prefect.events import DeploymentEventTrigger

    for schedule in deployment.get("schedules", []) or []:
        construct_schedule(cron=schedule["cron"], timezone=schedule.get("timezone"))
    for trigger in deployment.get("triggers", []) or []:
        DeploymentEventTrigger(**{k: v for k, v in trigger.items() if k != "enabled"})


def test_flow_names_match_files():
    for deployment in DEPLOYMENTS:
        path, _, attr = deployment["entrypoint"].partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert getattr(module, attr).name == Path(path).stem.replace("_", "-")


def test_the_release_deployment_form_takes_a_model_source():
    """The release deployment's parameter form (the flow's schema) has the same inputs as
    `slipway release`: the model, its data, the comparison and contract options, the strategy."""
    from prefect.utilities.callables import parameter_schema

    from flows.release import release

    schema = parameter_schema(release.fn).model_dump()
    params = schema["definitions"]["ReleaseParams"]["properties"]
    assert {
        "model",
        "eval_data",
        "reference_data",
        "target_column",
        "train",
        "max_regression",
        "require_improvement",
        "allow_contract_change",
        "canary",
    } <= set(params)
    options = schema["definitions"]["CanaryOptions"]["properties"]
    assert options["strategy"]["enum"] == ["canary", "blue-green"]
