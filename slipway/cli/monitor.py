"""`slipway monitor NAME`: run the `drift-monitor` flow once for a registered model."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json, quiet_prefect_for_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "monitor",
        parents=[common],
        help="run the drift monitor on the champion's production profiles; exit 1 unless `none`",
        description="Score the champion's production profiles over the window, decide (none, "
        "retrain, "
        "rollback, alert-only, no-data) and open retrain/rollback. Exit 0 `none`, 1 otherwise.",
    )
    p.add_argument("name", help="registered model name")
    p.add_argument("--window", default="24h", help="how far back, e.g. 24h, 7d (default 24h)")
    p.add_argument("--policy", help="drift policy YAML (default: built-in defaults)")
    p.add_argument(
        "--labelled",
        help="labelled recent production data (CSV/Parquet with the label column): the "
        "champion and `previous` are evaluated on it, and a retrain learns from it",
    )
    p.add_argument(
        "--act",
        choices=["auto", "deployment", "inline", "off"],
        default="auto",
        help="how to open retrain/rollback: auto = the deployment if deployed, else inline",
    )
    add_json_flag(p)
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from slipway.core.drift_policy import parse_duration
    from slipway.errors import BadInput

    try:
        parse_duration(args.window)
    except ValueError as exc:
        raise BadInput(f"--window: {exc}") from None
    quiet_prefect_for_json(args)
    from flows.drift_monitor import drift_monitor
    from slipway.drift.params import MonitorParams
    from slipway.drift.policy_file import load_policy

    load_policy(args.policy)  # refuse a bad policy before starting the flow
    from slipway.cli.preflight import require, require_files

    require_files(args.labelled, what="labelled data")
    require(store=True)
    result = drift_monitor(
        MonitorParams(
            model_name=args.name,
            window=args.window,
            policy=args.policy,
            labelled=args.labelled,
            act=args.act,
        )
    )
    if args.json:
        emit_json(result)
    else:
        d = result.decision
        print(
            f"{result.model_name} v{result.version or '-'}: {d.action}"
            + (f" (policy asked for {d.suppressed})" if d.suppressed else "")
        )
        for reason in d.reasons:
            print(f"  - {reason}")
        perf = result.scores.performance if result.scores else None
        if perf is not None:
            print(
                f"{perf.metric} on {perf.rows} labelled rows: {perf.current:.4f} "
                f"(at release {perf.baseline:.4f})"
                + (f"; {perf.previous.describe()}" if perf.previous else "")
            )
        if result.action:
            print(
                f"opened {result.action.action} via {result.action.via}: flow run "
                f"{result.action.flow_run_id} "
                f"({result.action.state})"
            )
            if result.action.detail.get("summary"):
                print(f"  {result.action.detail['summary']}")
        if "json" in result.report:
            print(f"report: {result.report['json']}")
    return 0 if result.decision.action == "none" else 1
