"""The drift loop's library: production profiles against the champion's reference profile.

- `profiles`: whylogs (the one module that imports it): profile, merge, per-column tests.
- `scoring`: production profiles from the store, merged per window, scored under a policy.
- `policy_file`: the drift policy YAML -> slipway.core.drift_policy.DriftPolicy.
- `params`: drift-monitor / retrain / rollback parameters and results (the Prefect forms).
- `report`: markdown, PNG chart and metrics of a monitor run.
- `history`: what the monitor reads and records in the registry (release state, verdicts) and
  its MLflow monitoring run.
- `retraining`: the retraining set (reference + labelled window).
- `shifted`: shifted digits, what a changed production looks like (demo and tests).
"""
