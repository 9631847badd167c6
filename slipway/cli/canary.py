"""`slipway canary NAME VERSION`: run the `canary-release` flow."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json, quiet_prefect_for_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "canary",
        parents=[common],
        help="release a registered version through canary steps; promote or roll back",
    )
    p.add_argument("name", help="registered model name")
    p.add_argument("version", help="version number or alias (e.g. candidate)")
    p.add_argument(
        "--steps", default="5,25,50,100", help="canary weights in percent (default 5,25,50,100)"
    )
    p.add_argument(
        "--interval-s", type=float, default=60.0, help="analysis window per step (default 60)"
    )
    p.add_argument(
        "--shadow-s", type=float, default=None, help="a shadow phase of this many seconds first"
    )
    p.add_argument(
        "--settle-s", type=float, default=5.0, help="wait after each routing change (default 5)"
    )
    p.add_argument(
        "--gateway",
        default=None,
        help="gateway base URL (its /metrics is the metrics source); several replicas: their "
        "URLs separated by commas, their counters are summed",
    )
    p.add_argument(
        "--prometheus", default=None, help="Prometheus server URL to read metrics from instead"
    )
    p.add_argument(
        "--min-requests", type=int, default=None, help="per variant per window (default 20)"
    )
    p.add_argument(
        "--failure-limit", type=int, default=None, help="failed checks tolerated (default 0)"
    )
    p.add_argument(
        "--inconclusive-limit",
        type=int,
        default=None,
        help="inconclusive windows tolerated (default 1)",
    )
    p.add_argument(
        "--max-p99-ratio",
        type=float,
        default=None,
        help="candidate/champion p99 latency (default 1.5)",
    )
    p.add_argument(
        "--latency-tolerance-ms",
        type=float,
        default=None,
        help="slower by less than this is never a failure (default 5)",
    )
    p.add_argument(
        "--approve-before-last",
        action="store_true",
        help="pause for approval (Prefect UI) before the last step",
    )
    add_json_flag(p)
    p.set_defaults(handler=handle)


def parse_steps(text: str) -> list[int]:
    from slipway.errors import BadInput

    try:
        steps = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise BadInput(
            f"--steps {text!r}: give percentages separated by commas, e.g. 5,25,50,100"
        ) from None
    if not steps:
        raise BadInput(f"--steps {text!r}: give percentages separated by commas, e.g. 5,25,50,100")
    return steps


def build_params(args):
    from pydantic import ValidationError

    from slipway.canary.params import DEFAULT_GATEWAY_URL, CanaryParams
    from slipway.core.canary import CanaryPolicy
    from slipway.errors import BadInput

    overrides = {
        k: v
        for k, v in {
            "min_requests": args.min_requests,
            "failure_limit": args.failure_limit,
            "inconclusive_limit": args.inconclusive_limit,
            "max_p99_latency_ratio": args.max_p99_ratio,
            "latency_tolerance_ms": args.latency_tolerance_ms,
        }.items()
        if v is not None
    }
    try:
        return CanaryParams(
            name=args.name,
            version=args.version,
            steps=parse_steps(args.steps),
            interval_s=args.interval_s,
            shadow_s=args.shadow_s,
            settle_s=args.settle_s,
            policy=CanaryPolicy(**overrides),
            gateway_url=args.gateway or DEFAULT_GATEWAY_URL,
            prometheus_url=args.prometheus,
            approve_before_last=args.approve_before_last,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        message = err["msg"].removeprefix("Value error, ")
        if not err["loc"]:
            raise BadInput(message) from None
        flag = "--" + str(err["loc"][-1]).replace("_", "-")
        raise BadInput(f"{flag} {err.get('input')!r}: {message}") from None


def handle(args) -> int:
    quiet_prefect_for_json(args)
    params = build_params(args)
    from flows.canary_release import canary_release

    result = canary_release(params)
    if args.json:
        emit_json(result)
    else:
        print("\n".join(result.lines()))
    return 0 if result.decision == "promote" else 1
