"""The inference gateway: registry-driven ONNX Runtime / OpenVINO serving (`slipway serve`)."""
