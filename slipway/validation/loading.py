"""Load the frame to validate, refusing what GX cannot validate meaningfully.

`slipway.data.read_table` reads CSV/Parquet from a path, `s3://` or `store:KEY`. pandas
renames duplicated CSV headers (`a`, `a.1`) and pyarrow fails with an obscure message on
duplicated Parquet fields, so local files get their header checked first.
"""

from __future__ import annotations

import csv
from pathlib import Path

from slipway.errors import BadInput


def header_names(path: Path) -> list[str]:
    """Column names as written in a local CSV header or Parquet schema ([] when unknown)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                return next(csv.reader(handle), [])
        except (UnicodeDecodeError, csv.Error, OSError):
            return []  # read_table reports the unreadable file
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq
        from pyarrow import ArrowException

        try:
            return list(pq.read_schema(path).names)
        except (ArrowException, OSError):
            return []
    return []


def duplicated(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


def load_frame(ref: str, role: str = "data"):
    """The DataFrame behind `ref`; BadInput (one line, naming `role` and `ref`) when unusable."""
    from slipway.data import read_table

    ref = str(ref)
    path = Path(ref)
    if not (ref.startswith("s3://") or ref.startswith("store:")) and path.is_file():
        dupes = duplicated(header_names(path))
        if dupes:
            raise BadInput(
                f"{role} {ref}: duplicated column names {', '.join(dupes)}; each column must "
                "appear once"
            )
    try:
        frame = read_table(ref)
    except BadInput as exc:
        raise BadInput(f"{role} {exc}") from None
    dupes = duplicated([str(c) for c in frame.columns])
    if dupes:
        raise BadInput(
            f"{role} {ref}: duplicated column names {', '.join(dupes)}; each column must appear "
            "once"
        )
    if len(frame.columns) == 0:
        raise BadInput(f"{role} {ref}: has no columns")
    return frame
