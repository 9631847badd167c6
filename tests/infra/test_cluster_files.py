"""The cluster files checked by the tools a cluster would use: the Kubernetes schemas (offline,
`kubernetes-validate`), HAProxy's and Prometheus's own checkers (`slipway up --replicas`
writes those configs), `docker compose config` where a Compose client exists, and the
Prefect work pools that the worker manifests serve and the deployments target."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.infra.test_deploy_files import INFRA, ROOT, k8s, k8s_objects

APT = "apt-get install -y --no-install-recommends {} (.ci/run does this when it runs as root)"


@pytest.mark.parametrize("doc", k8s_objects(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_kubernetes_object_validates_against_its_schema_offline(doc):
    import kubernetes_validate

    # strict: a misspelt or misplaced field is an error, not silently ignored by the cluster
    kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_a_misplaced_field_fails_the_schema_check():
    import kubernetes_validate

    broken = k8s("Deployment", "slipway-gateway")
    broken = {**broken, "spec": {**broken["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


@pytest.mark.skipif(shutil.which("promtool") is None, reason=APT.format("prometheus"))
def test_promtool_accepts_the_rules_file_and_its_unit_of_alerts():
    done = subprocess.run(
        ["promtool", "check", "rules", str(INFRA / "prometheus" / "rules.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def compose_client() -> list[str] | None:
    for argv in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(argv[0]) is None:
            continue
        probe = subprocess.run([*argv, "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return argv
    return None


@pytest.mark.skipif(
    compose_client() is None,
    reason="no Docker Compose client (docker compose or docker-compose) on this machine",
)
def test_docker_compose_accepts_the_compose_file():
    done = subprocess.run(
        [*compose_client(), "-f", str(INFRA / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=INFRA,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def worker_pool() -> tuple[str, str]:
    container = k8s("Deployment", "slipway-prefect-worker")["spec"]["template"]["spec"][
        "containers"
    ][0]
    command = container["command"]
    return command[command.index("--pool") + 1], command[command.index("--type") + 1]


def test_the_kubernetes_worker_pool_is_the_one_its_manifest_and_the_readme_create_and_deploy():
    pool, kind = worker_pool()
    header = (INFRA / "k8s" / "prefect-worker.yaml").read_text()
    assert f"prefect work-pool create {pool} --type {kind}" in header
    readme = (ROOT / "README.md").read_text()
    assert f"--pool {pool}" in readme
    # `prefect deploy --all --pool X` ignores --pool (Prefect: "options will be ignored" for
    # several deployments), so the README deploys to the Kubernetes pool one deployment at a time
    assert f"--all --pool {pool}" not in readme


def test_every_deployment_targets_a_pool_a_worker_serves():
    from slipway.stack.options import WORK_POOL

    served = {WORK_POOL, worker_pool()[0]}
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    targets = {d["name"]: d["work_pool"]["name"] for d in spec["deployments"]}
    assert targets and set(targets.values()) <= served, targets
    # and the deployments the README moves to the Kubernetes pool exist in prefect.yaml
    loop = next(
        line
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith("for d in ") and f"--pool {worker_pool()[0]}" in line
    )
    moved = loop.removeprefix("for d in ").split(";", 1)[0].split()
    assert moved and set(moved) <= set(targets), moved
