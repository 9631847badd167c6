"""`slipway up` and `slipway doctor`: the local stack and the environment report.

- `supervisor`: child processes on loopback, started in order, health-checked, stopped cleanly.
- `services`: the services of `slipway up` (Prefect server, MLflow server, Prefect worker).
- `doctor`: package versions, runtimes, GPU and service reachability.
"""
