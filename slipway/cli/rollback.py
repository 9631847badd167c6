"""`slipway rollback NAME`: run the `rollback` flow (champion back to `previous`)."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json, quiet_prefect_for_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "rollback",
        parents=[common],
        help="move `champion` back to `previous` (the demoted version is tagged with the reason)",
    )
    p.add_argument("name", help="registered model name")
    p.add_argument(
        "--reason", default="rolled back by an operator", help="recorded on the demoted version"
    )
    add_json_flag(p)
    p.set_defaults(handler=handle)


def handle(args) -> int:
    quiet_prefect_for_json(args)
    from slipway.cli.preflight import require

    require()
    from flows.rollback import rollback
    from slipway.drift.params import RollbackParams

    result = rollback(RollbackParams(model_name=args.name, reason=args.reason))
    if args.json:
        emit_json(result)
    else:
        print(
            f"{result.model_name}: champion v{result.demoted} -> v{result.champion} "
            f"({result.reason})"
        )
    return 0
