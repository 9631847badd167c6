"""The cluster half of `slipway up --replicas N`: the S3 store and the gateway replicas.

As in a cluster, every replica is a separate `slipway serve` process that shares nothing
with the others but the MLflow server (the registry: champion alias, routing tag) and the S3
bucket (version bundles, production profiles). Each has its own `--replica-id`, so its
profiles are its own objects, which the drift monitor merges. A replica exits and comes back
like a pod: the supervisor restarts it (`ServiceSpec.restart`).

The S3 endpoint is moto's standalone server (`moto[server]`, the dev extra) unless the user
gives one (`--s3-endpoint`, credentials from the environment).
"""

from __future__ import annotations

import importlib.util
import sys

from slipway.errors import BadInput, ConfigError
from slipway.stack.options import LOOPBACK, UpOptions
from slipway.stack.supervisor import ServiceSpec, http_ok

API_KEY_ID = "stack"


def s3_server(opts: UpOptions) -> ServiceSpec | None:
    """moto's standalone S3 server on loopback (state in memory: it lasts as long as the stack)."""
    if not opts.runs_moto:
        return None
    return ServiceSpec(
        name="s3",
        argv=[sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(opts.s3_port)],
        env={"MOTO_ENABLE_TELEMETRY": "false"},
        ready=lambda: http_ok(f"{opts.s3_url}/moto-api/data.json"),
        url=opts.s3_url,
        port=opts.s3_port,
        port_flag="--s3-port",
        on_ready=lambda: ensure_bucket(opts),
    )


def ensure_bucket(opts: UpOptions) -> bool:
    """Create the stack's bucket unless it exists; True when it was created."""
    import boto3
    import botocore.exceptions
    from botocore.config import Config

    env = opts.s3_env()
    client = boto3.client(
        "s3",
        endpoint_url=opts.s3_url,
        region_name=env.get("AWS_DEFAULT_REGION"),
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}),
    )
    try:
        client.head_bucket(Bucket=opts.bucket)
        return False
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
            raise ConfigError(
                f"S3 at {opts.s3_url}: bucket {opts.bucket} is not usable ({exc}): check the "
                "credentials in the environment or pass --bucket"
            ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise ConfigError(
            f"S3 at {opts.s3_url} is unreachable ({exc}): start it or fix --s3-endpoint"
        ) from None
    client.create_bucket(Bucket=opts.bucket)
    return True


def ensure_api_key(opts: UpOptions) -> str | None:
    """The stack's API key: created (hashed in keys.json) the first time; its plain text is
    returned then, and only then (None later: it was printed once)."""
    from slipway.core.apikeys import parse_keys
    from slipway.serving.auth import add_key

    path = opts.keys_file
    if path.exists() and any(k.id == API_KEY_ID for k in parse_keys(path.read_text(), str(path))):
        return None
    return add_key(path, API_KEY_ID, ["predict"])


def gateway_replicas(opts: UpOptions) -> list[ServiceSpec]:
    """N `slipway serve` processes, each on its own port with its own replica id."""
    specs = []
    needs = ("mlflow", "s3") if opts.runs_moto else ("mlflow",)
    for index, (name, port) in enumerate(
        zip(opts.replica_names, opts.replica_port_list, strict=True), start=1
    ):
        url = f"http://{LOOPBACK}:{port}"
        specs.append(
            ServiceSpec(
                name=name,
                argv=replica_argv(opts, name, port),
                env=opts.client_env(),
                # live, not ready: a replica without a champion yet answers not-ready (and the
                # load balancer keeps it out of the pool) until one is promoted
                ready=lambda url=url: http_ok(f"{url}/v2/health/live"),
                url=url,
                port=port,
                port_flag=f"--gateway-port (replica {index} uses it + {index})",
                needs=needs,
                restart=True,
            )
        )
    return specs


def replica_argv(opts: UpOptions, name: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "slipway",
        "serve",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--models",
        ",".join(opts.models),
        "--keys-file",
        str(opts.keys_file),
        "--replica-id",
        name,
        "--poll-interval-s",
        f"{opts.poll_interval_s:g}",
        "--drain-delay-s",
        f"{opts.drain_delay_s:g}",
        "--profile-window-s",
        f"{opts.profile_window_s:g}",
        "--profile-sample",
        f"{opts.profile_sample:g}",
        *opts.gateway_args,
    ]


def check_replica_options(opts: UpOptions) -> None:
    """Refuse a multi-replica stack that cannot work, before anything starts."""
    if opts.replicas < 0:
        raise BadInput(f"--replicas {opts.replicas}: give 0 (no gateway) or more replicas")
    if opts.replicas == 0:
        if opts.prometheus:
            raise BadInput("--prometheus scrapes gateway replicas: add --replicas N (N >= 1)")
        return
    if opts.replica_ports and len(opts.replica_ports) != opts.replicas:
        raise ValueError("replica_ports must give one port per replica")
    detect_s = opts.health_interval_ms * opts.health_fall / 1000.0
    if opts.drain_delay_s <= detect_s:
        raise BadInput(
            f"--drain-delay-s {opts.drain_delay_s:g}: a draining replica must stay up longer "
            f"than the load balancer needs to take it out of the pool ({detect_s:g} s); "
            f"give more than {detect_s:g}"
        )
    if opts.runs_moto and importlib.util.find_spec("moto") is None:
        raise BadInput(
            "--replicas needs an S3 endpoint: install moto's server "
            "(pip install 'moto[server]', or pip install -e '.[dev]') or pass --s3-endpoint URL"
        )
