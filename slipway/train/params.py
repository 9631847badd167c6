"""Parameters and result of the `train` stage (the Prefect form and the typed result)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from slipway.core.train_result import TrainResult
from slipway.train.digits import DIGITS, TARGET

__all__ = ["TrainParams", "TrainResult"]


class TrainParams(BaseModel):
    """Parameters of the `train` flow (shown as a form in the Prefect UI)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    arch: Literal["mlp", "cnn"] = Field(
        "mlp",
        description="mlp: a scikit-learn MLP on the 64 pixels; cnn: a PyTorch CNN on the digits "
        "as [N, 1, 32, 32] images (needs the torch extra)",
    )
    epochs: int = Field(8, ge=1, description="cnn: training epochs")
    dataset: str = Field(
        DIGITS, description="'digits' (scikit-learn's images) or a CSV/Parquet path or store:KEY"
    )
    target_column: str = TARGET
    hidden_layers: tuple[int, ...] = (256, 128)
    max_iter: int = Field(300, ge=1)
    seed: int = Field(0, description="seed of the model's initialisation")
    split_seed: int = Field(
        0,
        description="seed of the train/eval/reference split: fixed across versions, so that a new "
        "version is compared with the champion on eval rows neither of them trained on",
    )
    eval_fraction: float = Field(0.2, gt=0, lt=0.5)
    reference_fraction: float = Field(0.2, gt=0, lt=0.5)

    @property
    def input_shape(self) -> list[int] | None:
        """One input item's shape for an image model (None: a table row)."""
        if self.arch == "cnn":
            from slipway.train.cnn import IMAGE_SIZE

            return [1, IMAGE_SIZE, IMAGE_SIZE]
        return None
