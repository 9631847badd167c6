"""Convert a trained model to ONNX and quantize it into gated candidates, one module per backend.

- `sources`: what the user gave (skops, ONNX, PyTorch, MLflow URI; pickle only when trusted).
- `sklearn_onnx`, `torch_onnx`, `onnx_checks`: to a checked, optimized ONNX FP32 model.
- `ort_quant`: ONNX Runtime INT8 (dynamic, static QDQ).
- `openvino_ir`: OpenVINO IR FP32 / FP16 and INT8 through NNCF.
- `tensorrt`: TensorRT FP16 through ONNX Runtime's TensorRT execution provider (CUDA only).
- `stage`: builds every candidate, scores it with `slipway.runtimes.load_candidate`, gates it.
"""
