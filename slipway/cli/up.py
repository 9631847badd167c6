"""`slipway up`: a local Prefect server, MLflow server and Prefect worker until Ctrl-C."""

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
    from slipway.stack.services import UpOptions, build_specs
    from slipway.stack.supervisor import ServiceFailed, ServiceGroup, check_ports

    if args.startup_timeout <= 0:
        raise BadInput(
            f"--startup-timeout {args.startup_timeout:g}: give a positive number of seconds"
        )
    home = get_settings().ensure_home()
    opts = UpOptions(
        home=home,
        prefect_port=args.prefect_port,
        mlflow_port=args.mlflow_port,
        worker=not args.no_worker,
    )
    specs = build_specs(opts)
    check_ports(specs)

    # Handle SIGINT explicitly too: a shell's background job inherits it ignored.
    previous = {sig: signal.signal(sig, _on_stop_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    group = ServiceGroup(opts.log_dir)
    try:
        print(
            f"starting {', '.join(s.name for s in specs)} (logs in {opts.log_dir}) ...", flush=True
        )
        group.start(specs, timeout_s=args.startup_timeout)
        _print_ready(opts, specs, group)
        name, code = group.supervise()
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


def _print_ready(opts, specs, group) -> None:
    width = max(len(s.name) for s in specs)
    for spec in specs:
        print(f"  {spec.name:<{width}}  {spec.url or '':<28}  log {group.log_path(spec.name)}")
    print(f"  work pool {opts.work_pool!r} is ready on the Prefect server")
    print("\nUse them from another shell:")
    print(f"  export PREFECT_API_URL={opts.prefect_api_url}")
    print(f"  export SLIPWAY_TRACKING_URI={opts.mlflow_url}")
    print("Ctrl-C stops everything.", flush=True)
