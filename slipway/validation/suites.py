"""Expectation suites as YAML files: load (and check against GX), save for review and edit.

The format (`SuiteSpec`):

    format_version: 1
    name: digits-reference
    meta: {derived_from: reference.parquet}
    expectations:
      - type: expect_column_values_to_be_between
        kwargs: {column: pixel_00, min_value: -8.0, max_value: 8.0}
        severity: critical          # or warning: reported, never fails the gate
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from slipway.core.validation import SuiteSpec
from slipway.errors import BadInput


def _pydantic_detail(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def parse_suite(text: str, origin: str) -> SuiteSpec:
    """A SuiteSpec from YAML text, checked against GX (types and kwargs); BadInput otherwise."""
    import yaml

    from slipway.validation.gx_runner import check_suite

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInput(f"{origin}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(document, dict):
        raise BadInput(f"{origin}: expected a mapping with 'name' and 'expectations'")
    try:
        suite = SuiteSpec.model_validate(document)
    except ValidationError as exc:
        raise BadInput(f"{origin}: invalid suite at {_pydantic_detail(exc)}") from None
    check_suite(suite, origin)
    return suite


def load_suite(path: str | Path) -> SuiteSpec:
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such suite file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read the suite file ({exc})") from None
    return parse_suite(text, str(path))


def dump_suite(suite: SuiteSpec) -> str:
    import yaml

    return yaml.safe_dump(
        suite.model_dump(mode="json"), sort_keys=False, width=120, default_flow_style=None
    )


def save_suite(suite: SuiteSpec, path: str | Path) -> Path:
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise BadInput(f"{path}: the folder {path.parent} does not exist")
    path.write_text(dump_suite(suite), encoding="utf-8")
    return path
