"""Fixtures of the CLI tests: the small digits model of the convert tests."""

from tests.unit.convert.conftest import small_model  # noqa: F401
