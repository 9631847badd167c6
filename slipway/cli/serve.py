"""`slipway serve`: the inference gateway for registered models."""

from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser(
        "serve",
        parents=[common],
        help="serve registered models (champion + canary/shadow) over HTTP",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument(
        "--models",
        default=None,
        help="comma-separated registered model names (default: SLIPWAY_MODEL_NAME)",
    )
    p.add_argument("--keys-file", default=None, help="JSON file of hashed API keys (see --add-key)")
    p.add_argument(
        "--add-key",
        metavar="ID",
        default=None,
        help="add a key to --keys-file, print it once, exit",
    )
    p.add_argument(
        "--scopes", default="predict", help="scopes for --add-key: predict, admin or predict,admin"
    )
    p.add_argument(
        "--no-auth", action="store_true", help="serve WITHOUT authentication (local demo only)"
    )
    p.add_argument(
        "--enable-admin", action="store_true", help="mount /admin routes (reload, routing)"
    )
    p.add_argument("--poll-interval-s", type=float, default=5.0)
    p.add_argument("--max-body-bytes", type=int, default=1_048_576)
    p.add_argument("--request-timeout-s", type=float, default=5.0)
    p.add_argument("--rate-limit", type=float, default=None, help="requests per second per key")
    p.add_argument(
        "--rate-burst", type=int, default=None, help="token bucket size (default: the rate)"
    )
    p.add_argument("--max-batch-rows", type=int, default=64)
    p.add_argument("--max-wait-ms", type=float, default=0.0)
    p.add_argument(
        "--batch-worker",
        choices=["loop", "thread"],
        default="loop",
        help="run batches on the event loop (small models) or a worker thread (slow models)",
    )
    p.add_argument("--threads", type=int, default=None, help="runtime threads per model")
    p.add_argument("--profile-window-s", type=float, default=300.0)
    p.add_argument(
        "--profile-sample", type=float, default=0.1, help="fraction of requests profiled"
    )
    p.add_argument("--replica-id", default="")
    p.add_argument("--drain-delay-s", type=float, default=0.0)
    p.add_argument("--drain-window-s", type=float, default=10.0)
    p.add_argument("--ssl-certfile", default=None)
    p.add_argument("--ssl-keyfile", default=None)
    p.add_argument("--no-access-log", action="store_true")
    p.add_argument(
        "--grpc-port",
        type=int,
        default=None,
        help="also serve the KServe v2 gRPC service on this port (same auth, limits, metrics)",
    )
    p.add_argument(
        "--header-timeout-s",
        type=float,
        default=10.0,
        help="close a connection whose request headers take longer (408)",
    )
    p.add_argument(
        "--body-timeout-s",
        type=float,
        default=10.0,
        help="close a connection whose request body takes longer to arrive (408)",
    )
    p.add_argument(
        "--keep-alive-s",
        type=float,
        default=5.0,
        help="close idle keep-alive connections after this",
    )
    p.add_argument(
        "--max-connections",
        type=int,
        default=1024,
        help="open connections per process; more are answered 503 and closed",
    )
    p.add_argument(
        "--max-retry-s",
        type=float,
        default=300.0,
        help="longest wait between retries of a version that failed to load",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing the port (one per core; metrics summed across them)",
    )
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pathlib import Path

    from pydantic import ValidationError

    from slipway.errors import BadInput
    from slipway.settings import get_settings

    if args.add_key:
        if not args.keys_file:
            raise BadInput("--add-key needs --keys-file FILE (where the hashed key is stored)")
        from slipway.serving.auth import add_key

        plain = add_key(
            Path(args.keys_file),
            args.add_key,
            [s.strip() for s in args.scopes.split(",") if s.strip()],
        )
        print(plain)
        return 0
    if args.no_auth and args.keys_file:
        raise BadInput("--no-auth and --keys-file contradict each other: pick one")
    models = [m.strip() for m in (args.models or get_settings().model_name).split(",") if m.strip()]
    from slipway.serving.config import ServeConfig

    try:
        config = ServeConfig(
            models=models,
            host=args.host,
            port=args.port,
            keys_file=Path(args.keys_file) if args.keys_file else None,
            auth=not args.no_auth,
            enable_admin=args.enable_admin,
            poll_interval_s=args.poll_interval_s,
            max_body_bytes=args.max_body_bytes,
            request_timeout_s=args.request_timeout_s,
            rate_limit=args.rate_limit,
            rate_burst=args.rate_burst,
            max_batch_rows=args.max_batch_rows,
            max_wait_ms=args.max_wait_ms,
            batch_worker=args.batch_worker,
            threads=args.threads,
            profile_window_s=args.profile_window_s,
            profile_sample=args.profile_sample,
            replica_id=args.replica_id,
            drain_delay_s=args.drain_delay_s,
            drain_window_s=args.drain_window_s,
            ssl_certfile=Path(args.ssl_certfile) if args.ssl_certfile else None,
            ssl_keyfile=Path(args.ssl_keyfile) if args.ssl_keyfile else None,
            access_log=not args.no_access_log,
            grpc_port=args.grpc_port,
            header_timeout_s=args.header_timeout_s,
            body_timeout_s=args.body_timeout_s,
            keep_alive_s=args.keep_alive_s,
            max_connections=args.max_connections,
            max_retry_s=args.max_retry_s,
            workers=args.workers,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from None
    if bool(config.ssl_certfile) != bool(config.ssl_keyfile):
        raise BadInput("TLS needs both --ssl-certfile and --ssl-keyfile")
    from slipway.serving.server import serve

    return serve(config)
