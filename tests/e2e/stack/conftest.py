"""One multi-replica stack per module, built by `slipway up`'s own service builders: the MLflow
server (registry), S3 (moto's server behind a relay the tests can take down), two gateway
replicas behind HAProxy, and Prometheus scraping both. Prefect is the session's test API.

The services are driven through `ServiceGroup` directly (not the `slipway up` process) so that
a test can stop, kill and restart one of them; tests/integration/stack/test_up.py runs the
command itself.
"""

from __future__ import annotations

import itertools
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_ports
from tests.support import canary_builders as builders
from tests.support.tcp_relay import TcpRelay
from tests.support.waiting import wait_until

MODEL = "digits-stack"
POLL_S = 0.5
"""The replicas' registry poll interval."""
MISSING = [p for p in ("haproxy", "prometheus") if shutil.which(p) is None]
_tags = itertools.count()


def skip_without_packages() -> None:
    if MISSING:
        pytest.skip(
            f"{' and '.join(MISSING)} not installed: apt-get install -y --no-install-recommends "
            f"{' '.join(MISSING)} (.ci/run does this when it runs as root)"
        )


@dataclass
class Stack:
    opts: object
    group: object
    relay: TcpRelay
    api_key: str
    env: dict[str, str]
    work: Path
    champion: str | None = None
    registered: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.opts.gateway_url

    @property
    def replicas(self) -> dict[str, str]:
        return dict(zip(self.opts.replica_names, self.opts.replica_urls, strict=True))

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def register(self, candidate_dir: Path, trained, model=None) -> str:
        """A new version (the champion's graph relabelled, or `model`): unique sha each time."""
        base = model if model is not None else builders.served_model(candidate_dir)
        tag = f"stack-{next(_tags)}"
        dest = builders.candidate_with(
            candidate_dir, self.work / f"candidate-{tag}", builders.relabel(base, tag)
        )
        version = builders.register(dest, MODEL, trained)
        self.registered.append(version)
        return version

    def served(self, replica_url: str) -> tuple[str | None, dict] | None:
        """(champion version, routing) one replica serves now; None when it has none."""
        answer = httpx.get(f"{replica_url}/v2/models/{MODEL}", headers=self.headers, timeout=5)
        if answer.status_code != 200:
            return None
        extras = answer.json().get("parameters", answer.json())
        return extras.get("champion"), extras.get("routing")

    def all_serve(self, version: str) -> bool:
        return all((s := self.served(u)) and s[0] == version for u in self.replicas.values())

    def log(self, name: str) -> str:
        return self.group.log_path(name).read_text(errors="replace")


@pytest.fixture(scope="module")
def stack(tmp_path_factory, s3_server):
    """The running stack (no champion yet)."""
    skip_without_packages()
    from slipway.stack.cluster import ensure_api_key, ensure_bucket
    from slipway.stack.options import MOTO_CREDENTIALS, UpOptions
    from slipway.stack.services import build_specs
    from slipway.stack.supervisor import ServiceGroup, check_ports

    home = tmp_path_factory.mktemp("stack-home")
    relay = TcpRelay(int(s3_server.rsplit(":", 1)[1])).start()
    mlflow_port, gateway_port, prometheus_port, *replica_ports = free_ports(5)
    opts = UpOptions(
        home=home,
        prefect=False,
        mlflow_port=mlflow_port,
        replicas=2,
        prometheus=True,
        gateway_port=gateway_port,
        replica_ports=tuple(replica_ports),
        prometheus_port=prometheus_port,
        s3_endpoint=relay.url,
        bucket=f"stack-{os.getpid()}",
        models=(MODEL,),
        poll_interval_s=POLL_S,
        drain_delay_s=1.5,
        health_interval_ms=300,
        profile_window_s=3.0,
        profile_sample=1.0,
        scrape_interval_s=0.5,
        # inference in a worker thread per version: a canary's model never stalls the champion
        gateway_args=("--batch-worker", "thread"),
    )
    env = {**opts.client_env(), **MOTO_CREDENTIALS, "SLIPWAY_HOME": str(home)}
    patch = pytest.MonkeyPatch()
    for key, value in env.items():
        patch.setenv(key, value)
    group = ServiceGroup(opts.log_dir, grace_s=20.0, poll_s=0.2)
    try:
        ensure_bucket(opts)
        api_key = ensure_api_key(opts)
        specs = build_specs(opts)
        check_ports(specs)
        group.start(specs, timeout_s=180)
        yield Stack(opts, group, relay, api_key, env, tmp_path_factory.mktemp("stack-work"))
    finally:
        group.stop()
        relay.stop()
        patch.undo()


@pytest.fixture
def in_stack(stack, slipway_home, monkeypatch) -> Stack:
    """This test talks to the stack's registry and store (not its own SLIPWAY_HOME)."""
    for key, value in stack.env.items():
        monkeypatch.setenv(key, value)
    return stack


def promote(stack: Stack, version: str, why: str) -> None:
    """Move `champion` (guarded promote) and wait until every replica serves it."""
    from tasks.promote import guarded_promote

    guarded_promote(MODEL, version, reason=why)
    stack.champion = version
    wait_until(lambda: stack.all_serve(version), 60, f"every replica to serve v{version}")
