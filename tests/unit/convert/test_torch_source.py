"""PyTorch sources (`.pt2` ExportedProgram and TorchScript) -> ONNX with the classifier contract."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed (the `torch` extra): pip install -e '.[torch]'"
)

from slipway.convert import stage  # noqa: E402
from slipway.convert.params import OptimizeParams  # noqa: E402
from slipway.convert.prepare import prepare  # noqa: E402


@pytest.fixture(scope="module")
def torch_classifier(small_model):
    """A linear+ReLU net fitted for a few steps on the digits eval frame (enough for parity)."""
    _, _, _, frame = small_model
    x = torch.from_numpy(frame.drop(columns=["digit"]).to_numpy(np.float32) / 16.0)
    y = torch.from_numpy(frame["digit"].to_numpy())
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    optim = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(60):
        optim.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        optim.step()
    return net.eval()


@pytest.mark.parametrize("fmt", ["pt2", "torchscript"])
def test_torch_model_converts_and_passes_gates(torch_classifier, small_model, tmp_path, fmt):
    # given a PyTorch classifier saved as an ExportedProgram or TorchScript
    sample = torch.zeros(2, 64)
    if fmt == "pt2":
        path = tmp_path / "model.pt2"
        batch = torch.export.Dim("batch", min=1)
        torch.export.save(
            torch.export.export(torch_classifier, (sample,), dynamic_shapes=({0: batch},)),
            str(path),
        )
    else:
        path = tmp_path / "model.pt"
        torch.jit.save(torch.jit.trace(torch_classifier, sample), str(path))
    params = OptimizeParams(
        model=str(path),
        eval_data=str(small_model[2]),
        target_column="digit",
        out=str(tmp_path / "out"),
        targets=["onnx-fp32", "ort-int8-dynamic"],
    )
    # when converted and scored
    prep = prepare(params)
    base = stage.baseline(prep)
    fp32 = stage.build_and_score("onnx-fp32", prep, params, base)
    int8 = stage.build_and_score("ort-int8-dynamic", prep, params, base)
    # then the ONNX model matches PyTorch eager and follows the contract
    assert prep.source.framework == "torch" and prep.output_names == ["label", "probabilities"]
    assert fp32.status == "accepted", fp32.reason
    assert fp32.parity.max_abs_error["probabilities"] < 1e-4
    assert int8.parity.top1_agreement >= 0.95


def test_openvino_ir_straight_from_torch_matches_eager(torch_classifier, small_model, tmp_path):
    # given a PyTorch module and one example batch
    from slipway.convert import openvino_ir
    from slipway.runtimes import load_openvino

    _, _, _, frame = small_model
    x = frame.drop(columns=["digit"]).to_numpy(np.float32)[:5] / 16.0
    # when converted by OpenVINO's PyTorch frontend (every axis dynamic, output named)
    xml = openvino_ir.convert_torch(
        torch_classifier, {"input": x[:2]}, ["logits"], tmp_path / "ir" / "model.xml"
    )
    out = load_openvino(xml, threads=1, precision="fp32").predict(x)
    # then any batch size runs and the logits match eager PyTorch
    with torch.no_grad():
        expected = torch_classifier(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out["logits"], expected, atol=1e-5)


def test_openvino_torch_conversion_names_an_output_mismatch(torch_classifier, tmp_path):
    from slipway.convert import openvino_ir
    from slipway.errors import BadInput

    with pytest.raises(BadInput, match=r"has 1 outputs, expected 2 \(\['logits', 'extra'\]\)"):
        openvino_ir.convert_torch(
            torch_classifier,
            {"input": np.zeros((2, 64), np.float32)},
            ["logits", "extra"],
            tmp_path / "model.xml",
        )
