"""The serving contract: what the gateway enforces before inference.

Produced by validate-data from the reference data and the suite, stored with every
registered version (`serving_contract.json` in the version bundle), enforced by the gateway.

Schema version 2 describes named tensors (`inputs`, `outputs`): a name, an Open Inference
Protocol datatype, a shape with -1 for dynamic dimensions (the first one is the batch) and an
optional value range. A tabular model's contract is the special case it always was: one named
feature per column (`features`), served as one FP32 tensor `[-1, F]`; its `tensors` are
derived from the features. Schema version 1 files (tabular only) load unchanged.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CONTRACT_SCHEMA_VERSION = 2

Dtype = Literal["float32", "float64", "int32", "int64", "bool", "string"]
OipDatatype = Literal[
    "BOOL",
    "UINT8",
    "UINT16",
    "UINT32",
    "UINT64",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "FP16",
    "FP32",
    "FP64",
    "BYTES",
]
_OIP_OF = {
    "float32": "FP32",
    "float64": "FP64",
    "int32": "INT32",
    "int64": "INT64",
    "bool": "BOOL",
    "string": "BYTES",
}


class FeatureSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    dtype: Dtype
    min: float | None = None
    max: float | None = None
    allowed_values: list[str | int | float | bool] | None = None
    nullable: bool = False


class TensorSpec(BaseModel):
    """One named tensor: OIP datatype, shape (-1 = any size; dimension 0 is the batch)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    datatype: OipDatatype
    shape: list[int] = Field(min_length=1)
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _check(self) -> TensorSpec:
        if any(d < -1 or d == 0 for d in self.shape):
            raise ValueError(f"tensor {self.name!r}: shape {self.shape} holds a size < 1 (not -1)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"tensor {self.name!r}: min {self.min} > max {self.max}")
        return self

    @property
    def item_shape(self) -> list[int]:
        """The shape of one batch item (dimension 0 left out)."""
        return self.shape[1:]

    def matches(self, shape: list[int] | tuple[int, ...]) -> bool:
        return len(shape) == len(self.shape) and all(
            want == -1 or want == got for want, got in zip(self.shape, shape, strict=True)
        )

    def example_shape(self, rows: int = 1) -> list[int]:
        """A concrete shape: `rows` items, other dynamic dimensions 1."""
        return [rows] + [1 if d == -1 else d for d in self.item_shape]

    @property
    def item_size(self) -> int:
        return math.prod(1 if d == -1 else d for d in self.item_shape)


class ServingContract(BaseModel):
    """Named input/output tensors (v2), or feature names in model-input order (tabular)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = CONTRACT_SCHEMA_VERSION
    input_name: str = Field("input", description="the model's input tensor name")
    input_dtype: Dtype = "float32"
    features: list[FeatureSpec] = Field(
        default_factory=list, description="tabular: one spec per column of the input"
    )
    inputs: list[TensorSpec] = Field(
        default_factory=list, description="tensor models: the named input tensors"
    )
    outputs: list[TensorSpec] = Field(
        default_factory=list, description="the named output tensors (documentation, metadata)"
    )
    max_batch_size: int = 1024
    source: dict[str, str] = Field(
        default_factory=dict, description="fingerprints of the data it came from"
    )

    @model_validator(mode="after")
    def _check(self) -> ServingContract:
        if not self.features and not self.inputs:
            raise ValueError("a serving contract needs `features` (tabular) or `inputs` (tensors)")
        if self.features and self.inputs:
            raise ValueError("a serving contract has `features` (tabular) or `inputs`, not both")
        names = [t.name for t in self.inputs]
        if len(set(names)) != len(names):
            raise ValueError("an input tensor name appears twice")
        return self

    @property
    def is_tabular(self) -> bool:
        return bool(self.features)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def shape(self) -> list[int]:
        if self.is_tabular:
            return [-1, len(self.features)]
        return list(self.inputs[0].shape)

    @property
    def tensors(self) -> list[TensorSpec]:
        """The input tensors; for a tabular contract the one `[-1, F]` tensor of its features."""
        if self.inputs:
            return list(self.inputs)
        return [
            TensorSpec(
                name=self.input_name,
                datatype=_OIP_OF.get(self.input_dtype, "FP32"),
                shape=[-1, len(self.features)],
            )
        ]


def image_contract(
    shape: list[int],
    *,
    name: str = "input",
    datatype: OipDatatype = "FP32",
    low: float | None = None,
    high: float | None = None,
    classes: int | None = None,
    source: dict[str, str] | None = None,
    max_batch_size: int = 1024,
) -> ServingContract:
    """A one-input tensor contract (`shape` of one item, e.g. [1, 32, 32]) with a classifier's
    `label` [-1] and `probabilities` [-1, C] outputs when `classes` is given."""
    outputs = []
    if classes:
        outputs = [
            TensorSpec(name="label", datatype="INT64", shape=[-1]),
            TensorSpec(name="probabilities", datatype="FP32", shape=[-1, classes], min=0, max=1),
        ]
    return ServingContract(
        input_name=name,
        inputs=[TensorSpec(name=name, datatype=datatype, shape=[-1, *shape], min=low, max=high)],
        outputs=outputs,
        source=source or {},
        max_batch_size=max_batch_size,
    )
