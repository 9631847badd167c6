"""infra/: the files parse and agree with the code (no Docker engine or cluster here to run
them)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
# slipway subcommands infra/ runs that another issue adds; the check turns strict once merged.
PENDING_COMMANDS = {"serve": "the gateway, issue 7"}


def yaml_files() -> list[Path]:
    return sorted(
        [*INFRA.rglob("*.yml"), *INFRA.rglob("*.yaml"), *(ROOT / ".github").rglob("*.yml")]
    )


def compose() -> dict:
    return yaml.safe_load((INFRA / "compose.yaml").read_text())


def k8s_objects() -> list[dict]:
    return [
        doc
        for path in sorted((INFRA / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def k8s(kind: str, name: str) -> dict:
    found = [o for o in k8s_objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def cli_help(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", *args, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    ).stdout


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_parses(path):
    assert list(yaml.safe_load_all(path.read_text()))


def test_compose_has_the_whole_stack():
    services = compose()["services"]
    assert set(services) == {
        "prefect",
        "minio",
        "minio-init",
        "mlflow",
        "worker",
        "gateway",
        "prometheus",
        "grafana",
    }
    assert "mc mb" in " ".join(services["minio-init"]["command"])
    assert (
        services["gateway"]["command"][:1] == ["serve"] and "8080" in services["gateway"]["command"]
    )


def test_compose_slipway_commands_exist():
    from slipway.cli import COMMANDS

    used = {
        s["command"][0]
        for s in compose()["services"].values()
        if s.get("image") == "slipway:latest" and "entrypoint" not in s
    }
    assert used, "no service runs the slipway entrypoint"
    missing = used - set(COMMANDS)
    pending = {c: PENDING_COMMANDS[c] for c in missing if c in PENDING_COMMANDS}
    assert missing == set(pending), (
        f"compose runs unknown slipway commands {sorted(missing - set(pending))}"
    )
    if pending:
        pytest.skip(f"slipway {', '.join(pending)} not merged yet ({', '.join(pending.values())})")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("service", "program"),
    [
        ("prefect", "prefect server start"),
        ("worker", "prefect worker start"),
        ("mlflow", "mlflow server"),
    ],
)
def test_compose_flags_exist_in_the_installed_clis(service, program):
    spec = compose()["services"][service]
    argv = [spec["entrypoint"][0], *spec["command"]] if "entrypoint" in spec else spec["command"]
    assert " ".join(argv).startswith(program)
    text = cli_help(*program.split())
    for flag in (a for a in argv if a.startswith("--")):
        assert re.search(rf"{re.escape(flag)}\b", text), f"{service}: {program} has no {flag}"


def test_compose_mounts_files_that_exist():
    for service in compose()["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (INFRA / source).exists(), f"{source} is mounted but missing"


def test_gateway_deployment_probes_and_drains():
    pod = k8s("Deployment", "slipway-gateway")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert container["lifecycle"]["preStop"]
    assert pod["terminationGracePeriodSeconds"] >= 30
    assert container["args"][0] == "serve"
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_gateway_service_and_hpa_point_at_the_deployment():
    deployment = k8s("Deployment", "slipway-gateway")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = k8s("Service", "slipway-gateway")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    target = k8s("HorizontalPodAutoscaler", "slipway-gateway")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "slipway-gateway")


def test_prefect_worker_runs_a_kubernetes_pool():
    container = k8s("Deployment", "slipway-prefect-worker")["spec"]["template"]["spec"][
        "containers"
    ][0]
    command = container["command"]
    assert command[:3] == ["prefect", "worker", "start"]
    assert command[command.index("--type") + 1] == "kubernetes"


def test_env_references_resolve_and_settings_are_known():
    from slipway.settings import Settings

    config = k8s("ConfigMap", "slipway-config")["data"]
    secret = k8s("Secret", "slipway-secrets")["stringData"]
    for obj in k8s_objects():
        if obj["kind"] != "Deployment":
            continue
        for container in obj["spec"]["template"]["spec"]["containers"]:
            refs = {(k, v["name"]) for ref in container["envFrom"] for k, v in ref.items()}
            assert refs == {("configMapRef", "slipway-config"), ("secretRef", "slipway-secrets")}
    fields = {name.upper() for name in Settings.model_fields}
    for key in [*config, *compose()["x-slipway-env"]]:
        if key.startswith("SLIPWAY_") and key != "SLIPWAY_PROJECT_DIR":
            assert key.removeprefix("SLIPWAY_") in fields, f"{key} is not a slipway setting"
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= secret.keys()
    assert not {k for k in config if "SECRET" in k or "KEY_ID" in k}, (
        "credentials belong in the Secret"
    )


def test_dockerfile_is_pinned_non_root_with_health_check():
    text = (INFRA / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "-c constraints.txt" in text
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and not user[-1].startswith(("root", "0"))
    assert re.search(r'^ENTRYPOINT \["slipway"\]', text, re.M)
    assert "/v2/health/ready" in re.search(r"^HEALTHCHECK.*(?:\n\s+.*)*", text, re.M).group(0)
    for source in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for path in source.split():
            assert (ROOT / path.rstrip("/")).exists(), f"Dockerfile copies missing {path}"


def test_ci_runs_the_ci_script_on_python_3_11():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["test"]
    assert job["runs-on"].startswith("ubuntu")
    python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"
    assert any(s.get("run") == "bash .ci/run" for s in job["steps"])
    assert (ROOT / ".ci" / "run").is_file()
