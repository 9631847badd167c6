"""Canary progress lives in the registry: a JSON tag on the model version.

Together with the routing tag on the registered model (which the gateways follow) and the
`champion` alias, it is the whole state of a canary: a rerun after a crash reads it back
(slipway.core.canary_state.resume_action) and resumes or finishes cleanly.
"""

from __future__ import annotations

from slipway import registry
from slipway.core.canary_state import CanaryProgress
from slipway.errors import SlipwayError

PROGRESS_TAG = "slipway.canary.progress"
REJECTED = "rejected"


def load_progress(name: str, version: str, mlflow_client=None) -> CanaryProgress | None:
    c = mlflow_client or registry.client()
    raw = c.get_model_version(name, str(version)).tags.get(PROGRESS_TAG)
    if not raw:
        return None
    try:
        return CanaryProgress.model_validate_json(raw)
    except ValueError as exc:
        raise SlipwayError(f"{name} version {version}: tag {PROGRESS_TAG} is not canary progress "
                           f"({str(exc).splitlines()[0]}): delete the tag to start the canary over") from None


def save_progress(name: str, progress: CanaryProgress, mlflow_client=None) -> CanaryProgress:
    c = mlflow_client or registry.client()
    c.set_model_version_tag(name, progress.version, PROGRESS_TAG, progress.model_dump_json())
    return progress


def is_rejected(name: str, version: str, mlflow_client=None) -> bool:
    c = mlflow_client or registry.client()
    return c.get_model_version(name, str(version)).tags.get(registry.STATUS_TAG) == REJECTED
