"""The candidate manifest: what convert-and-quantize produced, what benchmark-latency chose.

`manifest.json` sits at the top of a candidate directory; every `path` in it is relative
to that directory. register-version stores the whole directory as the version bundle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from slipway.core.layout import MANIFEST

MANIFEST_SCHEMA_VERSION = 1
MANIFEST_FILE = MANIFEST
"""Kept for callers of the old name; the layout is owned by slipway.core.layout."""

Status = Literal["accepted", "rejected", "unavailable", "failed"]
Runtime = Literal["onnxruntime", "openvino", "tensorrt", "sklearn", "torch"]
Format = Literal["onnx", "openvino-ir", "tensorrt-engine", "skops", "torch"]
Task = Literal["classification", "regression", "embedding"]


class Parity(BaseModel):
    model_config = ConfigDict(extra="allow")

    max_abs_error: dict[str, float] = Field(default_factory=dict)
    max_rel_error: dict[str, float] = Field(default_factory=dict)
    top1_agreement: float | None = None
    cosine_min: float | None = None
    passed: bool
    tolerances: dict[str, float] = Field(default_factory=dict)


class Accuracy(BaseModel):
    model_config = ConfigDict(extra="allow")

    metric: str
    value: float
    baseline: float
    """The FP32 ONNX model's value on the same data."""
    drop: float
    max_drop: float
    passed: bool


class Candidate(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    """e.g. onnx-fp32, ort-int8-dynamic, ort-int8-static, openvino-fp32, openvino-fp16,
    openvino-int8, tensorrt-fp16."""
    format: Format
    runtime: Runtime
    precision: str = "fp32"
    path: str | None = None
    """Main file, relative to the manifest (for OpenVINO IR: the .xml; its .bin is in `files`)."""
    files: list[str] = Field(default_factory=list)
    sha256: str | None = None
    """The candidate's identity: `identity_of` over every file it consists of (for OpenVINO IR
    both the .xml and the .bin), so changed weights change it. Registry lookups, tags and
    evidence use this value."""
    file_sha256: dict[str, str] = Field(default_factory=dict)
    """sha256 of each file, keyed by its path relative to the manifest."""
    size_bytes: int | None = None
    parity: Parity | None = None
    accuracy: Accuracy | None = None
    status: Status
    reason: str = ""


def identity_of(file_digests: Mapping[str, str]) -> str:
    """A candidate's identity: sha256 over the sorted (relative path, file sha256) list.

    Paths are relative to the candidate's own folder (`model.xml`, `model.bin`), so the same
    files give the same identity wherever the folder sits (candidate directory or bundle)."""
    if not file_digests:
        raise ValueError("a candidate's identity needs at least one file")
    digest = hashlib.sha256()
    for path, file_digest in sorted(file_digests.items()):
        digest.update(f"{path}\0{file_digest}\n".encode())
    return digest.hexdigest()


class Selection(BaseModel):
    model_config = ConfigDict(extra="allow")

    candidate: str
    """Name of the candidate that ships."""
    slo_p99_ms: float | None = None
    min_throughput: float | None = None
    why: str
    losers: dict[str, str] = Field(default_factory=dict)
    """Candidate name -> why it was not chosen."""


class Manifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    schema_version: int = MANIFEST_SCHEMA_VERSION
    task: Task = "classification"
    source: dict[str, Any] = Field(default_factory=dict)
    """kind (sklearn|torch|onnx|mlflow), path or uri, sha256."""
    input_name: str = "input"
    output_names: list[str] = Field(default_factory=list)
    """For classifiers: ['label', 'probabilities']."""
    feature_names: list[str] = Field(default_factory=list)
    input_shape: list[int] | None = None
    """A tensor model's input item shape (e.g. [1, 32, 32]): a row of `feature_names` is one
    flattened item, fed as [N, *input_shape]. None: the input is [N, F]."""
    target_column: str | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    benchmark: dict[str, Any] | None = None
    """Filled by benchmark-latency: the latency table and host record."""
    selection: Selection | None = None

    def accepted(self) -> list[Candidate]:
        return [c for c in self.candidates if c.status == "accepted"]

    def get(self, name: str) -> Candidate:
        for candidate in self.candidates:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def selected(self) -> Candidate | None:
        return self.get(self.selection.candidate) if self.selection else None
