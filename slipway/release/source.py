"""The release's model source, checked before any flow starts: the model is of a kind slipway
reads, the eval and reference tables load and hold the label column. Each problem is a BadInput
naming the thing and the fix (exit 2 on the command line, before Prefect starts)."""

from __future__ import annotations

from slipway.errors import BadInput
from slipway.release.params import ReleaseParams


def check_source(params: ReleaseParams) -> str:
    """One line describing the source; BadInput when something is unusable."""
    from slipway.convert.sources import preflight
    from slipway.register.stage import check_name

    check_name(params.model_name)
    if params.model is None:
        return f"the example model, trained by `train` (seed {params.train.seed})"
    preflight(params.model, trust_pickle=params.trust_pickle)
    target = params.target_column
    columns = {}
    for role, ref in (("eval", params.eval_data), ("reference", params.reference_data)):
        columns[role] = _columns(ref, role)
        if target not in columns[role]:
            shown = ", ".join(map(str, list(columns[role])[:8]))
            raise BadInput(
                f"{ref}: the {role} data has no target column {target!r} (columns: {shown}...); "
                "pass --target-column"
            )
    missing = [c for c in columns["reference"] if c not in columns["eval"]]
    if missing:
        raise BadInput(
            f"{params.eval_data}: the eval data lacks the reference data's columns "
            f"{', '.join(map(str, missing[:5]))}: give both tables the same columns"
        )
    return (
        f"{params.model}: eval {params.eval_data}, reference {params.reference_data}, "
        f"target {target!r}"
    )


def _columns(ref: str | None, role: str) -> list:
    from slipway.data import read_table

    if not ref:
        raise BadInput(f"no {role} data: pass --{role}-data (a CSV/Parquet table)")
    frame = read_table(ref)
    return list(frame.columns)
