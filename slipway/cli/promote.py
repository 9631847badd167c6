"""`slipway promote NAME VERSION`: move `champion`, guarded by the version's evidence."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "promote",
        parents=[common],
        help="make a version the champion (refused unless every gate in its evidence passed)",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "version", metavar="VERSION", help="a version number or an alias such as candidate"
    )
    p.add_argument("--reason", default="promoted by hand (slipway promote)")
    add_json_flag(p)
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from slipway.cli.preflight import require

    require()
    from tasks.promote import guarded_promote

    result = guarded_promote(args.name, args.version, args.reason)
    if args.json:
        emit_json(result)
    else:
        print(
            f"{result.name} champion: version {result.version} (previous: {result.previous or '-'})"
        )
    return 0
