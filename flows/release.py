"""`release`: the whole DAG, one stage after another; a failing gate stops it.

train -> validate-data -> convert-and-quantize -> benchmark-latency -> register-version
-> canary-release. Each stage adds itself here when it lands.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from pydantic import BaseModel, ConfigDict, Field

from flows.train import train
from slipway.training import TrainParams


class ReleaseParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_name: str = Field("digits-mlp", description="registered model name")
    train: TrainParams = TrainParams()


class ReleaseResult(BaseModel):
    model_name: str
    stages: dict[str, Any] = Field(default_factory=dict)
    """Stage name -> that stage's typed result (as a dict), in the order they ran."""


@flow(name="release", log_prints=True)
def release(params: ReleaseParams = ReleaseParams()) -> ReleaseResult:
    result = ReleaseResult(model_name=params.model_name)
    trained = train(params.train)
    result.stages["train"] = trained.model_dump(mode="json")
    return result


if __name__ == "__main__":
    release()
