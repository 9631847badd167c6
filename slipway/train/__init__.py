"""train: fit the example model (a scikit-learn MLP on the digits images scikit-learn ships).

- `params`: `TrainParams` (the Prefect form) and `TrainResult` (what the release hands on).
- `digits`: the example data set as a DataFrame.
- `stage`: load, split, fit, evaluate; plain pandas/scikit-learn, no Prefect, no MLflow.
"""
