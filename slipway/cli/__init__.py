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


def shows_default(action: argparse.Action) -> bool:
    """Whether `--help` states this option's default: an option with a value of its own (not
    None, not a flag's False, not --help's SUPPRESS)."""
    default = action.default
    return (
        (bool(action.option_strings) or action.nargs == argparse.OPTIONAL)
        and default is not None
        and default is not False
        and default != argparse.SUPPRESS
        and not isinstance(action, argparse._HelpAction | argparse._VersionAction)
    )


class DefaultsFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless the text already says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if shows_default(action) and not states_default(text, action.default):
            text = f"{text} (default: %(default)s)".strip()
        return text


def states_default(text: str, default) -> bool:
    """Whether a help text already says `default X` / `default: X` for this default."""
    import re

    shown = ",".join(map(str, default)) if isinstance(default, list | tuple) else str(default)
    return bool(re.search(rf"default:?\s+{re.escape(shown)}\b", text)) or "%(default)" in text


class Parser(argparse.ArgumentParser):
    """An argument parser whose options all show their defaults in `--help` (subcommands'
    parsers too: argparse makes them of the parent's class)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        action = super().add_argument(*args, **kwargs)
        if action.help is None and shows_default(action):
            action.help = "(default: %(default)s)"  # an option without help text shows nothing
        return action


def build_parser() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    parser = Parser(
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
    from slipway.cli._output import json_stdout_only
    from slipway.cli.preflight import ephemeral_timeout_message, prepare_environment
    from slipway.errors import SlipwayError

    prepare_environment(args.debug)
    try:
        with json_stdout_only(bool(getattr(args, "json", False))):
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
        timed_out = ephemeral_timeout_message(exc)
        if timed_out:
            print(f"error: {timed_out}", file=sys.stderr)
            return 2
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"error: {type(exc).__name__}: {first} (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def run() -> None:
    sys.exit(main())
