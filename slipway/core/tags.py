"""Every MLflow tag and alias slipway reads or writes, defined once.

Model-version tags hold a version's state (status, evidence summary, canary progress, drift
verdicts, rejection and rollback reasons); the registered model's `slipway.routing` tag is
what every gateway replica follows; run tags name the stage that logged a run. The registry
adapter (slipway.registry) is the only writer of version and model tags.
"""

from __future__ import annotations

# aliases
CHAMPION, CANDIDATE, PREVIOUS = "champion", "candidate", "previous"

# model-version tags: state
STATUS = "slipway.status"
"""registering | registered | champion | previous | rejected | rolled_back"""
SHA256 = "slipway.sha256"
RUNTIME = "slipway.runtime"
CANDIDATE_NAME = "slipway.candidate"
TRAINING_RUN_ID = "slipway.training_run_id"
CODE_REVISION = "slipway.code_revision"
PACKAGES_SHA256 = "slipway.packages_sha256"
GATE_PREFIX = "slipway.gate."
"""`slipway.gate.<gate>`: passed | failed | missing."""
PROMOTED_AT = "slipway.promoted_at"
PROMOTED_REASON = "slipway.promoted_reason"
REJECTED_REASON = "slipway.rejected_reason"
REJECTED_DETAILS = "slipway.rejected_details"
ROLLED_BACK_REASON = "slipway.rolled_back_reason"
ROLLED_BACK_AT = "slipway.rolled_back_at"
CANARY_PROGRESS = "slipway.canary.progress"
"""JSON of slipway.core.canary_state.CanaryProgress."""
DRIFT_LAST_DECISION = "slipway.drift.last_decision"
DRIFT_LAST_CHECKED = "slipway.drift.last_checked"
HOLDOUT_COMPARISON = "slipway.retrain.holdout_comparison"
"""A retrained version against the champion on the held-out labelled rows (JSON)."""

# registered-model tag
ROUTING = "slipway.routing"
"""JSON of slipway.core.routing.Routing."""

# run tags
STAGE = "slipway.stage"
MODEL_NAME = "slipway.model_name"
MONITOR_RUN = "slipway.monitor.model_version"
"""`<name>:<version>` on the champion's drift monitoring run."""

# status values
REGISTERING, REGISTERED, REJECTED, ROLLED_BACK = (
    "registering",
    "registered",
    "rejected",
    "rolled_back",
)

TAG_VALUE_LIMIT = 5000
"""MLflow's limit on a tag value (longer reasons are cut)."""


def model_run_tag(name: str) -> str:
    """The Prefect flow-run tag of retrain/rollback runs opened for model `name`."""
    return f"slipway.model:{name}"


def drift_action_run_tag(action: str) -> str:
    return f"slipway.drift.action:{action}"
