"""Load a drift policy (YAML) into `slipway.core.drift_policy.DriftPolicy`, with clear errors.

No file: the built-in defaults. The example policy for the digits model is
`deployments/drift_policy.yaml`.
"""

from __future__ import annotations

from pathlib import Path

from slipway.core.drift_policy import DriftPolicy
from slipway.errors import BadInput

EXAMPLE_POLICY = Path(__file__).resolve().parents[2] / "deployments" / "drift_policy.yaml"


def parse_policy(text: str, what: str = "policy") -> DriftPolicy:
    import yaml
    from pydantic import ValidationError

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInput(f"{what}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadInput(
            f"{what}: the top level must be a mapping of policy fields (see README 'Drift policy')"
        )
    try:
        return DriftPolicy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise BadInput(f"{what}: {problems}") from None


def load_policy(path: str | Path | None = None) -> DriftPolicy:
    """The policy in `path` (YAML), or the defaults when `path` is None or empty."""
    if path is None or str(path) == "":
        return DriftPolicy()
    path = Path(path)
    if not path.is_file():
        raise BadInput(
            f"drift policy {path}: no such file (give a YAML file, e.g. {EXAMPLE_POLICY.name})"
        )
    return parse_policy(path.read_text(encoding="utf-8"), what=f"drift policy {path}")
