"""The image example: a small PyTorch CNN on scikit-learn's digits as `[N, 1, 32, 32]` images.

The 8x8 digits are upsampled (bilinear) to 32x32 and scaled to [0, 1], so the convolutions do
real work; no download. Tables carry an image as its flattened pixels (`px_0000` ...
`px_1023`, row-major) plus the `digit` label, so the data stages read them like any table and
the model's `input_shape` (`[1, 32, 32]`) says how a row becomes a tensor. The trained
network is exported with `torch.export` (a `.pt2` ExportedProgram, dynamic batch).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from slipway.train.digits import TARGET

IMAGE_SIZE = 32
CLASSES = 10


def require_torch():
    """PyTorch, or Unavailable saying how to install it."""
    try:
        import torch
    except ImportError:
        from slipway.errors import Unavailable

        raise Unavailable("arch cnn needs PyTorch: pip install -e '.[torch]'") from None
    return torch


def pixel_columns(size: int = IMAGE_SIZE) -> list[str]:
    return [f"px_{i:04d}" for i in range(size * size)]


def upsample(images: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """float images [N, H, W] -> [N, size, size], bilinear (align_corners=False), pure numpy."""
    n, h, w = images.shape

    def axis(src: int):
        pos = (np.arange(size) + 0.5) * src / size - 0.5
        pos = np.clip(pos, 0, src - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, src - 1)
        return lo, hi, pos - lo

    (r0, r1, fr), (c0, c1, fc) = axis(h), axis(w)
    rows = images[:, r0, :] * (1 - fr)[None, :, None] + images[:, r1, :] * fr[None, :, None]
    return rows[:, :, c0] * (1 - fc)[None, None, :] + rows[:, :, c1] * fc[None, None, :]


def digits_image_frame(size: int = IMAGE_SIZE):
    """The 1,797 digits as [size x size] images in [0, 1]: flattened pixel columns + `digit`."""
    import pandas as pd
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = upsample(bunch.images.astype(np.float64) / 16.0, size).astype(np.float32)
    frame = pd.DataFrame(images.reshape(len(images), -1), columns=pixel_columns(size))
    frame[TARGET] = bunch.target.astype(np.int64)
    return frame


def to_images(frame, target_column: str, input_shape: list[int]) -> np.ndarray:
    """A table of flattened images -> float32 [N, *input_shape]."""
    x = frame.drop(columns=[target_column], errors="ignore").to_numpy(dtype=np.float32)
    return x.reshape(len(x), *input_shape)


def build_net(channels: tuple[int, int] = (8, 16), classes: int = CLASSES):
    """conv3x3 -> ReLU -> maxpool, twice, then global average pooling to 4x4 and a linear
    layer: about 5k parameters; the logits are the output."""
    from torch import nn

    a, b = channels
    return nn.Sequential(
        nn.Conv2d(1, a, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(a, b, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(4),
        nn.Flatten(),
        nn.Linear(b * 16, classes),
    )


def fit_cnn(
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    seed: int,
    batch_size: int = 64,
    channels: tuple[int, int] = (8, 16),
):
    """Adam on cross-entropy; returns the module in eval mode."""
    import torch

    torch.manual_seed(seed)
    net = build_net(channels)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(np.array(x, dtype=np.float32)), torch.from_numpy(y.astype(np.int64))
    generator = torch.Generator().manual_seed(seed)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=generator)
        for start in range(0, len(xt), batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(net(xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
    return net.eval()


def predict_labels(module, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return module(torch.from_numpy(np.array(x, dtype=np.float32))).argmax(dim=1).numpy()


def parameter_count(module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


def export_pt2(module, path: Path, input_shape: list[int]) -> Path:
    """`torch.export` with a dynamic batch dimension, saved as a `.pt2` ExportedProgram."""
    import torch

    sample = torch.zeros((2, *input_shape), dtype=torch.float32)
    batch = torch.export.Dim("batch", min=1, max=65536)
    with torch.no_grad():
        program = torch.export.export(module, (sample,), dynamic_shapes=({0: batch},))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.export.save(program, str(path))
    return path
