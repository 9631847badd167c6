"""MLflow webhooks receiver: versions registered outside slipway reach the same Prefect event.

MLflow 3 (`mlflow server` with a SQL backend) POSTs `model_version.created` and
`model_version_alias.created` deliveries; `signature.py` verifies them exactly as MLflow's
delivery code signs them, `receiver.py` is the HTTP endpoint that emits the Prefect event.
"""
