"""Candidate directories with a selection, a benchmark record and a validation report, for registry
tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from slipway.core.manifest import MANIFEST_FILE, Manifest, Selection
from slipway.core.validation import ValidationReport

BENCHMARK = {
    "host": {"cpu": "test cpu", "cores": 2},
    "table": [{"candidate": "onnx-fp32", "batch": 1, "p50_ms": 0.02, "p99_ms": 0.05}],
    "passed": True,
}


def validation_report(success: bool = True) -> ValidationReport:
    """A passing (or one-critical-failure) validate-data report, typed as the release hands it
    on."""
    outcomes = (
        []
        if success
        else [
            {
                "expectation_type": "expect_column_values_to_not_be_null",
                "column": "pixel_03",
                "severity": "critical",
                "success": False,
            }
        ]
    )
    return ValidationReport.model_validate(
        {
            "success": success,
            "suite_name": "digits",
            "data_ref": "eval.parquet",
            "rows": 360,
            "columns": 65,
            "outcomes": outcomes,
            "evaluated": 10,
            "passed": 10 if success else 9,
            "critical_failures": 0 if success else 1,
            "warnings": 0,
            "summary": "10/10 expectations passed" if success else "1 critical expectation failed",
            "data_fingerprint": "f" * 64,
        }
    )


def selected_copy(
    candidate_dir: Path,
    dest: Path,
    *,
    select: str = "onnx-fp32",
    benchmark: dict | None = BENCHMARK,
    edit=None,
) -> Path:
    """A copy of the shared candidate dir with `select` chosen; `edit(manifest)` may change it
    further."""
    shutil.copytree(candidate_dir, dest)
    manifest = Manifest.model_validate_json((dest / MANIFEST_FILE).read_text())
    manifest.selection = Selection(
        candidate=select,
        slo_p99_ms=5.0,
        why="fastest that meets the SLO",
        losers={"ort-int8-dynamic": "slower at batch 1"},
    )
    manifest.benchmark = benchmark
    if edit is not None:
        edit(manifest)
    (dest / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2))
    return dest
