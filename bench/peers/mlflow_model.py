"""Save the benchmark's ONNX file as an MLflow model (the `onnx` flavor, served as a pyfunc).

This is what `mlflow models serve` serves in the peers benchmark: the same model file the
other servers load, wrapped by MLflow's own ONNX flavor (`mlflow.onnx.save_model`), with the
session options every server here uses (graph optimisation on, idle ORT threads sleep; see
ort_session.py) passed through `onnx_session_options`. The signature comes from a float32
input example, so the JSON rows reach ONNX Runtime as float32. Runs in the peers' own
virtualenv (`bench/.venvs/mlflow`):

    python bench/peers/mlflow_model.py model.onnx OUT_DIR
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("out")
    args = ap.parse_args()
    import mlflow.onnx
    import onnx

    proto = onnx.load(args.model)
    n_features = proto.graph.input[0].type.tensor_type.shape.dim[1].dim_value
    mlflow.onnx.save_model(
        proto,
        args.out,
        input_example=np.zeros((1, n_features), dtype=np.float32),
        onnx_execution_providers=["CPUExecutionProvider"],
        onnx_session_options={
            "graph_optimization_level": 99,
            "extra_session_config": {
                "session.intra_op.allow_spinning": "0",
                "session.inter_op.allow_spinning": "0",
            },
        },
    )


if __name__ == "__main__":
    main()
