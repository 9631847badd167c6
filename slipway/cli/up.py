"""`slipway up`: a local Prefect server, MLflow server and Prefect worker until Ctrl-C; with
`--replicas N` also the serving stack a cluster runs (S3, N gateway replicas behind HAProxy,
optionally Prometheus)."""

from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser(
        "up",
        parents=[common],
        help="start a local Prefect server, MLflow server and process worker (Ctrl-C stops them)",
    )
    p.add_argument(
        "--prefect-port",
        type=int,
        default=4200,
        help="Prefect server port on 127.0.0.1 (default 4200)",
    )
    p.add_argument(
        "--mlflow-port",
        type=int,
        default=5000,
        help="MLflow server port on 127.0.0.1 (default 5000)",
    )
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start a Prefect worker for the slipway-local pool",
    )
    p.add_argument(
        "--no-prefect",
        action="store_true",
        help="start neither the Prefect server nor a worker (the serving stack only)",
    )
    p.add_argument(
        "--allow-http-webhooks",
        action="store_true",
        help="let the MLflow server deliver webhooks to http:// and loopback addresses "
        "(MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https, MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true)",
    )
    p.add_argument(
        "--mlflow-jobs",
        action="store_true",
        help="keep MLflow's job runner on (off by default: several processes, ~1.4 GB)",
    )
    g = p.add_argument_group("several gateway replicas (as in a cluster)")
    g.add_argument(
        "--replicas",
        type=int,
        default=0,
        metavar="N",
        help="N gateway replicas behind HAProxy, artifacts in S3 (default 0: no gateway)",
    )
    g.add_argument(
        "--prometheus",
        action="store_true",
        help="a Prometheus server scraping every replica, with infra/prometheus/rules.yml",
    )
    g.add_argument(
        "--gateway-port",
        type=int,
        default=8080,
        help="the load balancer's port; replica i uses this + i (default 8080)",
    )
    g.add_argument("--prometheus-port", type=int, default=9090, help="(default 9090)")
    g.add_argument("--s3-port", type=int, default=9000, help="moto's S3 server port (default 9000)")
    g.add_argument(
        "--s3-endpoint",
        default=None,
        metavar="URL",
        help="use this S3 endpoint (credentials from the environment) instead of moto's server",
    )
    g.add_argument("--bucket", default="slipway", help="the S3 bucket (default slipway)")
    g.add_argument(
        "--models",
        default=None,
        help="comma-separated model names the replicas serve (default SLIPWAY_MODEL_NAME)",
    )
    g.add_argument(
        "--poll-interval-s",
        type=float,
        default=5.0,
        help="how often each replica re-reads the registry (default 5)",
    )
    g.add_argument(
        "--drain-delay-s",
        type=float,
        default=2.0,
        help="a stopping replica answers not-ready this long before closing (default 2)",
    )
    g.add_argument(
        "--profile-window-s",
        type=float,
        default=300.0,
        help="each replica writes its production profile this often (default 300)",
    )
    g.add_argument(
        "--profile-sample",
        type=float,
        default=0.1,
        help="fraction of requests profiled (default 0.1)",
    )
    g.add_argument("--scrape-interval-s", type=float, default=5.0, help="Prometheus's (default 5)")
    p.add_argument(
        "--startup-timeout",
        type=float,
        default=180.0,
        metavar="S",
        help="seconds to wait for every service to answer its health check (default 180)",
    )
    p.set_defaults(handler=handle)


class _Stop(Exception):
    """Ctrl-C (SIGINT) or SIGTERM arrived: stop the services."""


def _on_stop_signal(signum, frame) -> None:
    raise _Stop()


def handle(args) -> int:
    import signal

    from slipway.errors import BadInput
    from slipway.settings import get_settings
    from slipway.stack.cluster import check_replica_options, ensure_api_key, ensure_bucket
    from slipway.stack.services import UpOptions, build_specs
    from slipway.stack.supervisor import ServiceFailed, ServiceGroup, check_ports

    if args.startup_timeout <= 0:
        raise BadInput(
            f"--startup-timeout {args.startup_timeout:g}: give a positive number of seconds"
        )
    settings = get_settings()
    home = settings.ensure_home()
    models = tuple(m.strip() for m in (args.models or settings.model_name).split(",") if m.strip())
    opts = UpOptions(
        home=home,
        prefect_port=args.prefect_port,
        mlflow_port=args.mlflow_port,
        worker=not args.no_worker,
        prefect=not args.no_prefect,
        allow_http_webhooks=args.allow_http_webhooks,
        mlflow_jobs=args.mlflow_jobs,
        replicas=args.replicas,
        prometheus=args.prometheus,
        gateway_port=args.gateway_port,
        prometheus_port=args.prometheus_port,
        s3_port=args.s3_port,
        s3_endpoint=args.s3_endpoint,
        bucket=args.bucket,
        models=models,
        poll_interval_s=args.poll_interval_s,
        drain_delay_s=args.drain_delay_s,
        profile_window_s=args.profile_window_s,
        profile_sample=args.profile_sample,
        scrape_interval_s=args.scrape_interval_s,
    )
    check_replica_options(opts)
    specs = build_specs(opts)
    check_ports(specs)
    if opts.uses_s3 and not opts.runs_moto:
        ensure_bucket(opts)  # a user-given endpoint: fail before anything starts
    api_key = ensure_api_key(opts) if opts.replicas else None

    # Handle SIGINT explicitly too: a shell's background job inherits it ignored.
    previous = {sig: signal.signal(sig, _on_stop_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    group = ServiceGroup(opts.log_dir)
    try:
        print(
            f"starting {', '.join(s.name for s in specs)} (logs in {opts.log_dir}) ...", flush=True
        )
        group.start(specs, timeout_s=args.startup_timeout)
        _print_ready(opts, specs, group, api_key)
        name, code = group.supervise(on_restart=_restarted)
        raise ServiceFailed(
            f"{name} stopped on its own (exit code {code}): see {group.log_path(name)}"
        )
    except (KeyboardInterrupt, _Stop):
        print("stopping ...", flush=True)
    finally:
        for sig in previous:  # a second Ctrl-C must not cut the shutdown short
            signal.signal(sig, signal.SIG_IGN)
        group.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stopped", flush=True)
    return 0


def _restarted(name: str, code: int) -> None:
    print(f"  {name} exited (code {code}): started it again", flush=True)


def _print_ready(opts, specs, group, api_key: str | None) -> None:
    width = max(len(s.name) for s in specs)
    for spec in specs:
        print(f"  {spec.name:<{width}}  {spec.url or '':<28}  log {group.log_path(spec.name)}")
    if opts.prefect:
        print(f"  work pool {opts.work_pool!r} is ready on the Prefect server")
    if opts.replicas:
        print(
            f"  {opts.replicas} replica(s) of {', '.join(opts.models)}: not ready until a "
            "champion is promoted, then serving behind the load balancer"
        )
    print("\nUse them from another shell:")
    for line in export_lines(opts, api_key):
        print(f"  {line}")
    print("Ctrl-C stops everything.", flush=True)


def export_lines(opts, api_key: str | None) -> list[str]:
    """What a client of this stack exports (one line per variable)."""
    lines = []
    if opts.prefect:
        lines.append(f"export PREFECT_API_URL={opts.prefect_api_url}")
    lines += [f"export {k}={v}" for k, v in opts.client_env().items()]
    if opts.replicas:
        lines.append(f"export SLIPWAY_GATEWAY_URL={opts.gateway_url}")
    if opts.prometheus:
        lines.append(f"export SLIPWAY_PROMETHEUS_URL={opts.prometheus_url}")
    if api_key:
        lines.append(f"export SLIPWAY_API_KEY={api_key}  # shown once; its hash: {opts.keys_file}")
    elif opts.replicas:
        lines.append(
            f"# SLIPWAY_API_KEY: the key printed when {opts.keys_file} was made "
            f"(another: slipway serve --keys-file {opts.keys_file} --add-key ID)"
        )
    return lines
