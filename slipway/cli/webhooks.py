"""`slipway webhooks serve`: the MLflow webhooks receiver (verifies, then emits Prefect events)."""

from __future__ import annotations


def register(sub, common) -> None:
    p = sub.add_parser("webhooks", parents=[common], help="receive MLflow registry webhooks")
    wsub = p.add_subparsers(dest="webhooks_command", metavar="ACTION", required=True)
    serve = wsub.add_parser(
        "serve",
        parents=[common],
        help="serve POST /mlflow/webhook (secret: SLIPWAY_WEBHOOK_SECRET)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8790)
    serve.set_defaults(handler=handle_serve)


def handle_serve(args) -> int:
    from slipway.webhooks.receiver import serve

    serve(args.host, args.port)
    return 0
