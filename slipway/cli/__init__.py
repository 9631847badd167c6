"""The `slipway` command. Each subcommand lives in its own module with a `register()`.

Start-up stays fast: modules here import only argparse and the standard library at
import time; heavy libraries are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand modules in slipway/cli/, in the order `--help` lists them.
COMMANDS = [
    "release",
    "demo",
    "train",
    "validate",
    "register",
    "models",
    "promote",
    "webhooks",
    "doctor",
    "up",
    "optimize",
    "bench",
    "serve",
    "canary",
    "traffic",
    "drift",
    "monitor",
    "rollback",
]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    parser = argparse.ArgumentParser(
        prog="slipway",
        description="Take a trained model to production and keep it healthy there.",
        epilog="Exit codes: 0 success, 1 a gate failed, 2 bad input or usage.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"slipway.cli.{name}").register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from slipway.errors import SlipwayError

    try:
        code = args.handler(args)
        return int(code or 0)
    except SlipwayError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure: one line, the traceback with --debug
        if args.debug:
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"error: {type(exc).__name__}: {first} (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def run() -> None:
    sys.exit(main())
