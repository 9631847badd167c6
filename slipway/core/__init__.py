"""Pure logic with typed inputs and outputs: no Prefect, MLflow, network or disk."""
