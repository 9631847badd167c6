"""`slipway doctor`: environment report."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "doctor", parents=[common], help="check versions, runtimes, GPU and services"
    )
    add_json_flag(p)
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from slipway.cli.preflight import prefect_api_url
    from slipway.stack.doctor import as_dicts, run_checks

    checks = run_checks(prefect_api_url())
    if args.json:
        emit_json(as_dicts(checks))
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            print(f"{c.name:<{width}}  {c.status:<11}  {c.detail}")
    return 1 if any(c.status == "fail" for c in checks) else 0
