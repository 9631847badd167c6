"""The model behind BentoML 1.4, written the way its docs show (a `@bentoml.service` class).

One service worker (the default), a sync `@bentoml.api` method (run on the worker's thread
pool, BentoML's default for sync APIs). Request `{"instances": [[...]]}` on POST /predict,
validated by BentoML against the annotation; response `{"label": [...], "probabilities": [...]}`.
The model file comes from BENCH_PEERS_MODEL. Served from the peers' own virtualenv:

    BENCH_PEERS_MODEL=model.onnx bentoml serve bentoml_service:Digits --host 127.0.0.1 -p 8123
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import bentoml
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ort_session import Model  # noqa: E402


@bentoml.service(workers=1)
class Digits:
    def __init__(self) -> None:
        self.model = Model(os.environ["BENCH_PEERS_MODEL"])

    @bentoml.api
    def predict(self, instances: list[list[float]]) -> dict:
        label, proba = self.model.run(np.asarray(instances, dtype=np.float32))
        return {"label": label.tolist(), "probabilities": proba.tolist()}
