"""register-version: a selected candidate and its evidence become an MLflow model version.

- `params`: `RegisterParams` (the Prefect form) and `RegisterResult`.
- `stage`: the gates, idempotency (same sha256), the MLflow run holding the bundle, the
  version with its tags and the `candidate` alias; the compensation that undoes a
  half-created version is the registry adapter's.
- `bundle`: assemble the version bundle (layout: slipway.core.layout) from a candidate dir.
- `provenance`: the Python and pinned package set, the code revision.
"""
