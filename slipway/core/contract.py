"""The serving contract: what the gateway enforces before inference.

Produced by validate-data from the reference data and the suite, stored with every
registered version (`serving_contract.json` in the version bundle), enforced by the gateway.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CONTRACT_SCHEMA_VERSION = 1

Dtype = Literal["float32", "float64", "int32", "int64", "bool", "string"]


class FeatureSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    dtype: Dtype
    min: float | None = None
    max: float | None = None
    allowed_values: list[str | int | float | bool] | None = None
    nullable: bool = False


class ServingContract(BaseModel):
    """Feature names in model-input order, dtypes, shape and allowed values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = CONTRACT_SCHEMA_VERSION
    input_name: str = Field("input", description="the model's input tensor name")
    input_dtype: Dtype = "float32"
    features: list[FeatureSpec]
    max_batch_size: int = 1024
    source: dict[str, str] = Field(
        default_factory=dict, description="fingerprints of the data it came from"
    )

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def shape(self) -> list[int]:
        return [-1, len(self.features)]
