"""Read and write tabular data (CSV or Parquet) from a local path or the artifact store."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from slipway.errors import BadInput

SUPPORTED = (".csv", ".parquet", ".pq")


def read_table(ref: str | Path):
    """Load a DataFrame from a local path, an `s3://` URI or a `store:KEY` reference."""
    import pandas as pd

    ref = str(ref)
    suffix = Path(ref.split("?")[0]).suffix.lower()
    if suffix not in SUPPORTED:
        raise BadInput(
            f"{ref}: unsupported data file type {suffix or '(none)'}; use .csv or .parquet"
        )
    if ref.startswith("s3://") or ref.startswith("store:"):
        from slipway.store import S3Store, open_store

        if ref.startswith("store:"):
            data = open_store().get_bytes(ref[len("store:") :])
        else:
            bucket_and_key = ref[len("s3://") :]
            bucket, _, key = bucket_and_key.partition("/")
            data = S3Store(f"s3://{bucket}").get_bytes(key)
        buffer = io.BytesIO(data)
    else:
        path = Path(ref)
        if not path.exists():
            raise BadInput(f"{ref}: no such file")
        if not path.is_file():
            raise BadInput(f"{ref}: is not a file")
        if path.stat().st_size == 0:
            raise BadInput(f"{ref}: the file is empty")
        buffer = path
    try:
        if suffix == ".csv":
            frame = pd.read_csv(buffer)
        else:
            frame = pd.read_parquet(buffer)
    except Exception as exc:
        raise BadInput(
            f"{ref}: cannot read as {suffix[1:]} ({str(exc).splitlines()[0][:200]})"
        ) from None
    return frame


def table_bytes(frame) -> bytes:
    """Parquet bytes of a DataFrame (deterministic for the same data)."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def fingerprint(frame) -> str:
    """sha256 of the frame's content (column names, dtypes and values), independent of Parquet
    metadata."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(repr(list(frame.columns)).encode())
    digest.update(repr([str(t) for t in frame.dtypes]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
    return digest.hexdigest()
