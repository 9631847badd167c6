"""Data validation, the pure part: suite and report models, result normalisation, rendering.

No Great Expectations here: `slipway.validation` runs GX and hands each expectation's raw
result (a plain dict) to `outcome_from_result`; `make_report` turns the outcomes into a
typed `ValidationReport`. Critical failures fail the gate; warnings are only reported.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "warning"]

SUITE_FORMAT_VERSION = 1
MAX_EXAMPLES = 5


class ExpectationSpec(BaseModel):
    """One GX expectation by its snake_case type, with its kwargs and our severity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(pattern=r"^expect_[a-z0-9_]+$")
    kwargs: dict[str, Any] = Field(default_factory=dict)
    severity: Severity = "critical"

    @property
    def column(self) -> str | None:
        value = self.kwargs.get("column")
        return str(value) if value is not None else None


class SuiteSpec(BaseModel):
    """An expectation suite as slipway stores it (the YAML file format)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: int = SUITE_FORMAT_VERSION
    name: str = Field(min_length=1)
    meta: dict[str, Any] = Field(default_factory=dict)
    expectations: list[ExpectationSpec] = Field(min_length=1)


class ExpectationOutcome(BaseModel):
    """The result of one expectation, normalised from GX's result dict."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expectation_type: str
    column: str | None = None
    offending_columns: list[str] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    severity: Severity
    success: bool
    observed: int | float | str | list[str] | None = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    unexpected_examples: list[str] = Field(default_factory=list)
    error: str | None = None

    def where(self) -> str:
        """The column(s) this outcome is about, for messages: 'pixel_03' or '(table)'."""
        names = self.offending_columns or ([self.column] if self.column else [])
        return ", ".join(names) if names else "(table)"

    def describe(self) -> str:
        """One line, column first: 'pixel_03: expect_column_values_to_not_be_null (2 unexpected,
        0.56%)'."""
        if self.error:
            detail = self.error
        elif self.unexpected_count is not None:
            pct = f", {self.unexpected_percent:.2f}%" if self.unexpected_percent is not None else ""
            examples = (
                f", e.g. {', '.join(self.unexpected_examples[:3])}"
                if self.unexpected_examples
                else ""
            )
            detail = f"{self.unexpected_count} unexpected{pct}{examples}"
        else:
            detail = f"observed {display(self.observed)}"
        return f"{self.where()}: {self.expectation_type} [{self.severity}] ({detail})"


class ValidationReport(BaseModel):
    """The validate-data gate's typed result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    success: bool = Field(description="no critical expectation failed")
    suite_name: str
    data_ref: str
    rows: int
    columns: int
    outcomes: list[ExpectationOutcome]
    evaluated: int
    passed: int
    critical_failures: int
    warnings: int
    summary: str
    engine: str = ""
    duration_s: float = 0.0
    data_fingerprint: str | None = None

    def failures(self, severity: Severity | None = None) -> list[ExpectationOutcome]:
        return [
            o
            for o in self.outcomes
            if not o.success and (severity is None or o.severity == severity)
        ]

    def failure_lines(self, severity: Severity | None = "critical") -> list[str]:
        return [o.describe() for o in sorted_by_column(self.failures(severity))]


def sorted_by_column(outcomes: list[ExpectationOutcome]) -> list[ExpectationOutcome]:
    """Column order of appearance, table-level outcomes last; stable within a column."""
    order: dict[str, int] = {}
    for o in outcomes:
        order.setdefault(o.where(), len(order))
    return sorted(outcomes, key=lambda o: (o.where() == "(table)", order[o.where()]))


def json_safe(value: Any) -> Any:
    """Plain JSON types only: NaN/inf become strings, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def display(value: Any) -> str:
    text = str(json_safe(value))
    return text if len(text) <= 80 else text[:77] + "..."


def _observed(value: Any) -> int | float | str | list[str] | None:
    value = json_safe(value)
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict):
        return display(value)
    return value


def _offending(expectation_type: str, result: dict, data_columns: list[str]) -> list[str]:
    """Columns named by a table-level column check: unexpected (extra) and missing ones."""
    if not expectation_type.startswith("expect_table_columns_to_match"):
        return []
    mismatched = (result.get("details") or {}).get("mismatched") or {}
    if isinstance(mismatched, dict):  # the column set: {"unexpected": [...], "missing": [...]}
        names = list(mismatched.get("unexpected") or []) + list(mismatched.get("missing") or [])
    else:  # the ordered list: [{"Expected Column Position": i, "Expected": a, "Found": b}, ...]
        names = [m.get("Found") or m.get("Expected") for m in mismatched if isinstance(m, dict)]
    return list(dict.fromkeys(str(n) for n in names if n is not None))


def outcome_from_result(
    spec: ExpectationSpec,
    success: bool,
    result: dict | None,
    error: str | None,
    data_columns: list[str],
) -> ExpectationOutcome:
    """Normalise one GX expectation result (its `result` dict and exception message)."""
    result = result or {}
    column = spec.column
    if column is not None and column not in data_columns and spec.type != "expect_column_to_exist":
        error = "the column is missing"
    elif error:
        error = (
            error.strip().splitlines()[-1][:200]
            if error.strip()
            else "the expectation raised an error"
        )
    offending = _offending(spec.type, result, data_columns)
    observed = _observed(result.get("observed_value"))
    if offending and not success:
        mismatched = (result.get("details") or {}).get("mismatched")
        if isinstance(mismatched, dict):
            parts = [f"{k} {', '.join(map(str, v))}" for k, v in mismatched.items() if v]
            observed = "; ".join(parts) or observed
        else:
            observed = f"order differs at {', '.join(offending[:5])}"
    if spec.type == "expect_column_to_exist" and not success:
        error = error or "the column is missing"
    return ExpectationOutcome(
        expectation_type=spec.type,
        column=column,
        offending_columns=offending if not success else [],
        kwargs=json_safe(spec.kwargs),
        severity=spec.severity,
        success=bool(success) and not error,
        observed=observed,
        element_count=result.get("element_count"),
        unexpected_count=result.get("unexpected_count"),
        unexpected_percent=json_safe(result.get("unexpected_percent")),
        unexpected_examples=[
            display(v) for v in (result.get("partial_unexpected_list") or [])[:MAX_EXAMPLES]
        ],
        error=error,
    )


def make_report(
    suite_name: str,
    data_ref: str,
    rows: int,
    columns: int,
    outcomes: list[ExpectationOutcome],
    engine: str = "",
    duration_s: float = 0.0,
    data_fingerprint: str | None = None,
) -> ValidationReport:
    critical = sum(1 for o in outcomes if not o.success and o.severity == "critical")
    warnings = sum(1 for o in outcomes if not o.success and o.severity == "warning")
    passed = sum(1 for o in outcomes if o.success)
    verdict = "PASSED" if critical == 0 else "FAILED"
    failing_columns = sorted(
        {o.where() for o in outcomes if not o.success and o.severity == "critical"}
    )
    summary = (
        f"validate-data {verdict}: {passed}/{len(outcomes)} expectations met, {critical} critical "
        f"failure(s), {warnings} warning(s) on {rows} rows x {columns} columns of {data_ref}"
    )
    if failing_columns:
        shown = ", ".join(failing_columns[:8]) + (" ..." if len(failing_columns) > 8 else "")
        summary += f"; failing: {shown}"
    return ValidationReport(
        success=critical == 0,
        suite_name=suite_name,
        data_ref=data_ref,
        rows=rows,
        columns=columns,
        outcomes=outcomes,
        evaluated=len(outcomes),
        passed=passed,
        critical_failures=critical,
        warnings=warnings,
        summary=summary,
        engine=engine,
        duration_s=round(duration_s, 4),
        data_fingerprint=data_fingerprint,
    )


def gate_message(report: ValidationReport, report_uri: str | None = None, limit: int = 10) -> str:
    """GateFailed's message: the failing critical expectations, column first, then where the report
    is."""
    lines = report.failure_lines("critical")
    shown = lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])
    where = f" (report: {report_uri})" if report_uri else ""
    return "validate-data gate failed: " + "; ".join(shown) + where


def markdown_table(report: ValidationReport) -> str:
    """The Prefect artifact: summary, then failures and warnings first, then the rest."""
    rows = sorted(report.outcomes, key=lambda o: (o.success, o.severity != "critical"))
    lines = [
        f"**{report.summary}**",
        "",
        "| result | column | expectation | severity | observed | unexpected |",
        "|---|---|---|---|---|---|",
    ]
    for o in rows:
        result = "pass" if o.success else ("FAIL" if o.severity == "critical" else "warn")
        if o.unexpected_count is not None:
            pct = f" ({o.unexpected_percent:.2f}%)" if o.unexpected_percent is not None else ""
            unexpected = f"{o.unexpected_count}{pct}"
        else:
            unexpected = ""
        observed = o.error or display(o.observed)
        cells = [result, o.where(), o.expectation_type, o.severity, observed, unexpected]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
