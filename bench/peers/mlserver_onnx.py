"""An MLServer runtime over ONNX Runtime (MLServer 1.7 ships none for ONNX).

The smallest custom `MLModel` a user would write: decode the one FP32 input with MLServer's
NumpyCodec, run the session, encode `label` and `probabilities`. The model file is the model
settings' `parameters.uri`. Loaded by `mlserver start` from the peers' own virtualenv
(`bench/.venvs/mlserver`), with this folder on PYTHONPATH.
"""

from __future__ import annotations

import numpy as np
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse
from ort_session import Model


class OnnxModel(MLModel):
    async def load(self) -> bool:
        self._model = Model(self.settings.parameters.uri)
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        x = NumpyCodec.decode_input(payload.inputs[0]).astype(np.float32, copy=False)
        label, proba = self._model.run(x)
        return InferenceResponse(
            model_name=self.name,
            outputs=[
                NumpyCodec.encode_output("label", label),
                NumpyCodec.encode_output("probabilities", proba),
            ],
        )
