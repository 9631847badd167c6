"""The image example's data and network: upsampling, image tables, the CNN, `.pt2` export."""

import numpy as np
import pytest

from slipway.errors import BadInput
from slipway.train import cnn


def test_upsample_keeps_constant_images_and_the_range():
    flat = np.full((2, 8, 8), 0.25)
    assert np.allclose(cnn.upsample(flat), 0.25)
    ramp = np.tile(np.linspace(0, 1, 8), (1, 8, 1))
    out = cnn.upsample(ramp)
    assert out.shape == (1, 32, 32) and out.min() >= 0 and out.max() <= 1
    assert np.all(np.diff(out[0, 0]) >= 0)  # a left-to-right ramp stays one


def test_the_digits_as_image_rows():
    frame = cnn.digits_image_frame()
    assert frame.shape == (1797, 1025) and list(frame.columns[:2]) == ["px_0000", "px_0001"]
    x = cnn.to_images(frame.head(3), "digit", [1, 32, 32])
    assert x.shape == (3, 1, 32, 32) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_a_cnn_table_must_hold_one_image_per_row():
    import pandas as pd

    from slipway.train.params import TrainParams
    from slipway.train.stage import check_images

    frame = pd.DataFrame({"a": [0.0], "b": [1.0], "digit": [1]})
    with pytest.raises(BadInput, match="2 feature columns, but arch cnn takes one flattened"):
        check_images(frame, TrainParams(arch="cnn", dataset="x.csv"))


def test_the_cnn_learns_and_exports_with_a_dynamic_batch(tmp_path):
    torch = pytest.importorskip("torch")
    frame = cnn.digits_image_frame()
    x = cnn.to_images(frame, "digit", [1, 32, 32])
    y = frame["digit"].to_numpy()
    net = cnn.fit_cnn(x[:600], y[:600], epochs=2, seed=0)
    assert cnn.parameter_count(net) < 10_000
    accuracy = (cnn.predict_labels(net, x[1500:]) == y[1500:]).mean()
    assert accuracy > 0.5  # ten classes: chance is 0.1
    path = cnn.export_pt2(net, tmp_path / "m.pt2", [1, 32, 32])
    loaded = torch.export.load(str(path)).module()
    for n in (1, 5):
        with torch.no_grad():
            out = loaded(torch.from_numpy(x[:n].copy()))
        assert tuple(out.shape) == (n, 10)
