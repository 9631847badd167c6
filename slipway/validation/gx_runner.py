"""Run a `SuiteSpec` on a DataFrame with Great Expectations 1.x.

GX is imported lazily (it takes seconds). One ephemeral context per process holds one
pandas data source with a whole-dataframe batch definition; each run adds its own suite,
`ValidationDefinition` and `Checkpoint` under a unique name and removes them afterwards,
so the context is reused safely (a lock serialises runs: GX contexts are not thread-safe).
Progress bars are switched off in the context.
"""

from __future__ import annotations

import threading
import time
import uuid
from functools import lru_cache

from slipway.core.validation import (
    ExpectationSpec,
    SuiteSpec,
    ValidationReport,
    make_report,
    outcome_from_result,
)
from slipway.errors import BadInput

_LOCK = threading.Lock()
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 5}


def gx_version() -> str:
    import great_expectations as gx

    return gx.__version__


@lru_cache(maxsize=1)
def _context():
    """(context, batch definition): created once per process."""
    import logging

    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX pins this module's logger to INFO and announces a temporary docs folder on each run
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("slipway")
    asset = source.add_dataframe_asset("frame")
    batch_definition = asset.add_batch_definition_whole_dataframe("whole-frame")
    return context, batch_definition


def to_gx_expectation(spec: ExpectationSpec, origin: str = "suite", index: int = 0):
    """The GX Expectation object for a spec; BadInput naming the entry when type or kwargs are
    wrong."""
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.registry import get_expectation_impl

    where = f"{origin}: expectations[{index}] {spec.type}"
    try:
        cls = get_expectation_impl(spec.type)
    except ExpectationNotFoundError:
        raise BadInput(
            f"{where}: unknown expectation type; use a Great Expectations 1.x expectation name"
        ) from None
    for reserved in ("severity", "meta"):
        if reserved in spec.kwargs:
            raise BadInput(f"{where}: put {reserved!r} beside kwargs, not inside them")
    try:
        return cls(**gx_kwargs(spec), severity=spec.severity, meta={"slipway_index": index})
    except Exception as exc:  # GX raises pydantic (v1) ValidationError for bad kwargs
        errors = getattr(exc, "errors", None)
        if callable(errors):
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors())
        else:
            detail = str(exc).splitlines()[0]
        raise BadInput(f"{where}: bad kwargs ({detail})") from None


def check_suite(suite: SuiteSpec, origin: str = "suite") -> None:
    """Every expectation exists in GX and accepts its kwargs."""
    for index, spec in enumerate(suite.expectations):
        to_gx_expectation(spec, origin, index)


def _first_error(exception_info) -> str | None:
    if not exception_info:
        return None
    if "raised_exception" in exception_info:
        infos = [exception_info]
    else:
        infos = [v for v in exception_info.values() if isinstance(v, dict)]
    for info in infos:
        if info.get("raised_exception"):
            return str(info.get("exception_message") or "the expectation raised an error")
    return None


DTYPE_TYPES = (
    "expect_column_values_to_be_in_type_list",
    "expect_column_values_to_be_of_type",
)
_WIDEN = {
    "float16": "float64",
    "float32": "float64",
    "int8": "int64",
    "int16": "int64",
    "int32": "int64",
    "uint8": "int64",
    "uint16": "int64",
    "uint32": "int64",
}  # exact conversions only


STRING_NAMES = ("str", "string")  # type_list names that mean "Python str values"


def gx_compatible(frame, specs: list[ExpectationSpec] = ()):
    """pandas string columns in a dtype GX 1.x recognises.

    GX does not know pandas 3's default `str` dtype (`StringDtype(na_value=nan)`). It is handed
    over as `pd.StringDtype()`, which a type list naming `StringDtype` matches on the dtype alone
    (see `gx_kwargs`): the dtype guarantees every value is a `str`, so GX need not check
    a million values one by one in Python, as it does on `object` columns (measured: about 0.45 s
    of a 2.1 s run on 1M rows with two string columns). A column checked by
    `expect_column_values_to_be_of_type` still goes over as `object`: that expectation has no
    type list to extend and matches `str` per value there.
    """
    import pandas as pd

    per_value = {s.column for s in specs if s.type == "expect_column_values_to_be_of_type"}
    strings = {
        c: object if str(c) in per_value else pd.StringDtype()
        for c in frame.columns
        if isinstance(frame[c].dtype, pd.StringDtype)
    }
    return frame.astype(strings) if strings else frame


def gx_kwargs(spec: ExpectationSpec) -> dict:
    """The kwargs handed to GX: a type list naming `str` or `string` also accepts the
    `StringDtype` that `gx_compatible` gives string columns (the report keeps the suite's)."""
    types = spec.kwargs.get("type_list")
    if spec.type == "expect_column_values_to_be_in_type_list" and isinstance(types, list):
        if any(t in STRING_NAMES for t in types) and "StringDtype" not in types:
            return {**spec.kwargs, "type_list": [*types, "StringDtype"]}
    return spec.kwargs


def widened(frame):
    """Narrow numeric columns widened exactly to int64/float64 for the value checks.

    GX's pandas range check is vectorised only for int64/float64 columns and otherwise calls
    a Python function per value (measured: most of the run time on float32 data).
    """
    casts = {c: _WIDEN[str(frame[c].dtype)] for c in frame.columns if str(frame[c].dtype) in _WIDEN}
    return frame.astype(casts) if casts else frame


def sees_dtype(spec: ExpectationSpec) -> bool:
    """Checks on a column's dtype: they must see the column as given, not widened."""
    return spec.type in DTYPE_TYPES


def _checkpoint_run(gx, name: str, expectations: list, frame) -> list:
    """One Checkpoint over one ValidationDefinition; its expectation results."""
    context, batch_definition = _context()
    tag = f"{name}-{uuid.uuid4().hex[:10]}"
    # built whole, then added once: add_expectation on a stored suite re-serialises it each time
    added = [context.suites]
    gx_suite = context.suites.add(gx.ExpectationSuite(name=tag, expectations=expectations))
    try:
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=tag, data=batch_definition, suite=gx_suite)
        )
        added.append(context.validation_definitions)
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=tag, validation_definitions=[definition], result_format=RESULT_FORMAT
            )
        )
        added.append(context.checkpoints)
        result = checkpoint.run(batch_parameters={"dataframe": frame})
    finally:
        for store in reversed(added):
            store.delete(tag)
    (suite_result,) = result.run_results.values()
    return list(suite_result.results)


def run_suite(
    frame, suite: SuiteSpec, data_ref: str, data_fingerprint: str | None = None
) -> ValidationReport:
    """Validate `frame` against `suite` through GX Checkpoints; the typed report.

    Everything runs on the frame with narrow numeric columns widened exactly (see `widened`),
    except dtype checks of those columns, which run on them as given; the outcomes come back
    in suite order.
    """
    import great_expectations as gx

    names = [str(c) for c in frame.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise BadInput(
            f"{data_ref}: duplicated column names {', '.join(dupes)}; each column must appear once"
        )
    expectations = [
        to_gx_expectation(spec, suite.name, i) for i, spec in enumerate(suite.expectations)
    ]
    started = time.perf_counter()
    results = []
    with _LOCK:
        base = gx_compatible(frame, suite.expectations)
        wide = widened(base)
        narrow = [c for c in base.columns if base[c].dtype != wide[c].dtype]
        narrow_names = {str(c) for c in narrow}
        # dtype checks of widened columns see those columns as given; all else runs once on
        # the widened frame (same names, order and rows), so GX hashes and walks it once
        given = [sees_dtype(spec) and spec.column in narrow_names for spec in suite.expectations]
        as_given = [e for e, g in zip(expectations, given, strict=True) if g]
        rest = [e for e, g in zip(expectations, given, strict=True) if not g]
        if as_given:
            results += _checkpoint_run(gx, suite.name, as_given, base[narrow])
        if rest:
            results += _checkpoint_run(gx, suite.name, rest, wide)
    outcomes = []
    for item in results:
        index = int((item.expectation_config.meta or {})["slipway_index"])
        outcome = outcome_from_result(
            suite.expectations[index],
            bool(item.success),
            dict(item.result or {}),
            _first_error(item.exception_info),
            names,
        )
        outcomes.append((index, outcome))
    outcomes = [outcome for _, outcome in sorted(outcomes, key=lambda pair: pair[0])]  # suite order
    duration = time.perf_counter() - started
    return make_report(
        suite.name,
        data_ref,
        rows=len(frame),
        columns=len(names),
        outcomes=outcomes,
        engine=f"great_expectations {gx.__version__}",
        duration_s=duration,
        data_fingerprint=data_fingerprint,
    )
