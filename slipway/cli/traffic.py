"""`slipway traffic NAME`: send real predict requests to a gateway at a steady rate."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "traffic", parents=[common], help="send predict requests built from data to a gateway"
    )
    p.add_argument("name", help="registered model name (the gateway route)")
    p.add_argument("--rate", type=float, required=True, help="requests per second (at most 500)")
    p.add_argument("--duration", type=float, required=True, help="seconds (at most 3600)")
    p.add_argument(
        "--data",
        default=None,
        help="CSV/Parquet of model inputs (default: the champion's eval split)",
    )
    p.add_argument("--gateway", default=None, help="gateway base URL")
    p.add_argument("--api-key", default=None, help="bearer token, if the gateway wants one")
    add_json_flag(p)
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from slipway.canary.params import DEFAULT_GATEWAY_URL
    from slipway.canary.traffic import check_bounds, send_traffic
    from slipway.canary.traffic_data import traffic_rows

    check_bounds(args.rate, args.duration)
    rows = traffic_rows(args.name, args.data)
    report = send_traffic(
        args.gateway or DEFAULT_GATEWAY_URL,
        args.name,
        rows,
        rate=args.rate,
        duration_s=args.duration,
        api_key=args.api_key,
    )
    if args.json:
        emit_json(report)
    else:
        print(report.line())
        for error in report.errors:
            print(f"  {error}")
    return 0 if report.sent and not report.failed else 1
