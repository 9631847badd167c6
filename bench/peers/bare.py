"""The floor: a bare Starlette + orjson + ONNX Runtime server, nothing else on the request path.

No auth, no validation beyond what numpy's conversion does, no metrics, no logs: what a
hand-written server costs per request on this host. The gateway's throughput is quoted as a
fraction of this one's ("x bare"). It takes slipway's v1 request form (`{"instances": [[...]]}`)
so the request bodies are the same size, and answers `{"label": [...], "probabilities": [...]}`.

    python bench/peers/bare.py --model model.onnx --port 8123   # uvicorn, uvloop + httptools
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ort_session import Model  # noqa: E402


def build_app(model_path: str) -> Starlette:
    model = Model(model_path)

    async def predict(request: Request) -> Response:
        try:
            rows = orjson.loads(await request.body())["instances"]
            x = np.asarray(rows, dtype=np.float32)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            return Response(orjson.dumps({"error": str(exc)}), 400, media_type="application/json")
        label, proba = model.run(x)
        body = {"label": label.tolist(), "probabilities": proba.tolist()}
        return Response(orjson.dumps(body), media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[Route("/predict", predict, methods=["POST"]), Route("/health", health)]
    )


def main() -> None:
    import uvicorn

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    uvicorn.run(
        build_app(args.model),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
