"""`slipway canary NAME VERSION [--strategy blue-green]`: run the `canary-release` flow.

Blue-green is a strategy of the same flow (same pre-flight, analysis, crash safety and report),
so it is a flag here rather than its own subcommand."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json, flag_error, quiet_prefect_for_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "canary",
        parents=[common],
        help="release a registered version through canary steps; promote or roll back",
    )
    p.add_argument("name", help="registered model name")
    p.add_argument("version", help="version number or alias (e.g. candidate)")
    p.add_argument(
        "--strategy",
        choices=("canary", "blue-green"),
        default="canary",
        help="canary: traffic in --steps; blue-green: warm the version at 0 %%, then switch all "
        "traffic at once for one --bake-s window, switching back on failure (default canary)",
    )
    p.add_argument(
        "--steps", default="5,25,50,100", help="canary weights in percent (default 5,25,50,100)"
    )
    p.add_argument(
        "--interval-s", type=float, default=60.0, help="analysis window per step (default 60)"
    )
    p.add_argument(
        "--bake-s",
        type=float,
        default=None,
        help="blue-green: the bake window at 100 %% (default: --interval-s)",
    )
    p.add_argument(
        "--warm-timeout-s",
        type=float,
        default=60.0,
        help="blue-green: how long the gateways may take to load the version (default 60)",
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
        "URLs separated by commas, their counters are summed (default: SLIPWAY_GATEWAY_URL, else "
        "http://127.0.0.1:8080)",
    )
    p.add_argument(
        "--prometheus",
        default=None,
        help="Prometheus server URL to read metrics from instead (default: SLIPWAY_PROMETHEUS_URL)",
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

    from slipway.canary.params import CanaryParams
    from slipway.core.canary import CanaryPolicy

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
    sources = {
        k: v
        for k, v in {"gateway_url": args.gateway, "prometheus_url": args.prometheus}.items()
        if v
    }  # not given: the settings' defaults (SLIPWAY_GATEWAY_URL, SLIPWAY_PROMETHEUS_URL)
    try:
        return CanaryParams(
            name=args.name,
            version=args.version,
            strategy=args.strategy,
            steps=parse_steps(args.steps),
            interval_s=args.interval_s,
            bake_s=args.bake_s,
            warm_timeout_s=args.warm_timeout_s,
            shadow_s=args.shadow_s,
            settle_s=args.settle_s,
            policy=CanaryPolicy(**overrides),
            approve_before_last=args.approve_before_last,
            **sources,
        )
    except ValidationError as exc:
        raise flag_error(exc) from None


def handle(args) -> int:
    quiet_prefect_for_json(args)
    params = build_params(args)
    from slipway.cli.preflight import require

    require()
    from flows.canary_release import run_canary

    result = run_canary(params)  # a rollback: the flow run is Failed, the analysis printed here
    if args.json:
        emit_json(result)
    else:
        print("\n".join(result.lines()))
    return 0 if result.decision == "promote" else 1
