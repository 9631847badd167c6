"""The model behind LitServe, written the way its quick start shows (a LitAPI, LitServer defaults).

LitServe runs the API server (FastAPI/uvicorn) and the inference worker as separate processes
that hand each request over through a queue; `accelerator="cpu"` gives one worker. Request
`{"instances": [[...]]}` on POST /predict; response `{"label": [...], "probabilities": [...]}`.
Run from the peers' own virtualenv (`bench/.venvs/litserve`):

    python bench/peers/litserve_app.py --model model.onnx --port 8123
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import litserve as ls
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ort_session import Model  # noqa: E402


class DigitsAPI(ls.LitAPI):
    def __init__(self, model_path: str):
        super().__init__()
        self.model_path = model_path

    def setup(self, device):
        self.model = Model(self.model_path)

    def decode_request(self, request):
        return np.asarray(request["instances"], dtype=np.float32)

    def predict(self, x):
        return self.model.run(x)

    def encode_response(self, output):
        label, proba = output
        return {"label": label.tolist(), "probabilities": proba.tolist()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    server = ls.LitServer(DigitsAPI(args.model), accelerator="cpu")
    server.run(host=args.host, port=args.port, log_level="warning", generate_client_file=False)


if __name__ == "__main__":
    main()
