"""`python -m slipway ...` runs the CLI."""

from slipway.cli import run

run()
