"""The validate-data flow's parameters (a Prefect UI form) and its typed result."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from slipway.core.contract import Dtype, ServingContract
from slipway.core.validation import ValidationReport


class ValidateParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data: str = Field(description="the data to validate: CSV/Parquet path, s3:// URI or store:KEY")
    reference: str | None = Field(
        None,
        description="reference data: derives the suite (unless `suite` is given) and the serving "
        "contract",
    )
    suite: str | None = Field(None, description="a suite YAML file; used instead of deriving one")
    target_column: str | None = Field(
        None, description="the label column: left out of the serving contract"
    )
    save_suite: str | None = Field(
        None, description="write the suite used (derived or loaded) to this YAML path"
    )
    fail_on_critical: bool = Field(
        True, description="raise GateFailed when a critical expectation fails"
    )
    input_name: str = "input"
    input_dtype: Dtype = "float32"
    input_shape: list[int] | None = Field(
        None,
        description="image models: one image's shape such as [1, 32, 32]; rows are flattened "
        "images, validated as per-image summaries, and the contract is the image tensor",
    )


class ValidationResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    report: ValidationReport
    report_uri: str
    contract: ServingContract | None = None
    contract_uri: str | None = None
    suite_uri: str
    summary: str
