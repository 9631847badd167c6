"""Open Inference Protocol v2 messages: the inference request and response (pure).

`parse_request` reads the JSON request (plus the binary tail of the binary tensor
extension) into typed tensors; `encode_response` writes the answer as JSON, or as a JSON
header followed by raw output bytes when the client asked for binary outputs (per output
`parameters.binary_data`, or `parameters.binary_data_output` for all of them, which is what
`tritonclient.http` asks by default). `metadata_doc` is the spec's model metadata with
slipway's extras under `parameters`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import orjson

from slipway.core.oip import (
    TensorInvalid,
    check_datatype,
    check_shape,
    datatype_of,
    decode_binary,
    decode_json,
    encode_binary,
    json_data,
)

_TENSOR_KEYS = {"name", "shape", "datatype", "data", "parameters"}
_REQUEST_KEYS = {"inputs", "id", "parameters", "outputs"}


@dataclass(slots=True)
class InferInput:
    name: str
    datatype: str
    shape: tuple[int, ...]
    array: np.ndarray


@dataclass(slots=True)
class RequestedOutput:
    name: str
    binary: bool | None = None
    """None: the request-wide `binary_data_output` decides."""


@dataclass(slots=True)
class InferRequest:
    inputs: list[InferInput]
    id: str | None = None
    outputs: list[RequestedOutput] | None = None
    binary_outputs: bool = False
    parameters: dict = field(default_factory=dict)


def _bad(where: str, message: str, status: int = 422):
    raise TensorInvalid(where, message, status)


def _parameters(doc: dict, where: str) -> dict:
    params = doc.get("parameters", {})
    if not isinstance(params, dict):
        _bad(f"{where}parameters", "expected an object", 400)
    for key in ("shared_memory_region", "shared_memory_byte_size", "shared_memory_offset"):
        if key in params:
            _bad(
                f"{where}parameters.{key}",
                "shared memory is not supported: send the data in the request",
                400,
            )
    return params


def parse_request(
    doc,
    binary: bytes | memoryview = b"",
    *,
    allowed: set[str] | None = None,
    may_hold_bools: bool = True,
) -> InferRequest:
    """The OIP v2 inference request -> typed inputs (binary ones sliced from `binary`).

    `allowed` limits the datatypes (checked before the data, so the message names the
    datatype); `may_hold_bools` is passed to `decode_json` (see there)."""
    if not isinstance(doc, dict):
        _bad("body", 'expected a JSON object with "inputs"')
    extra = sorted(k for k in doc if k not in _REQUEST_KEYS)
    if extra:
        _bad(extra[0], "unknown field in an OIP v2 inference request")
    request_id = doc.get("id")
    if request_id is not None and not isinstance(request_id, str):
        _bad("id", "expected a string", 400)
    params = _parameters(doc, "")
    raw_inputs = doc.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        _bad("inputs", "expected a non-empty list of input tensors")
    offset, inputs = 0, []
    for i, spec in enumerate(raw_inputs):
        tensor, offset = _input(spec, i, binary, offset, allowed, may_hold_bools)
        inputs.append(tensor)
    if offset != len(binary):
        _bad(
            "inputs",
            f"{len(binary) - offset} binary bytes after the JSON header belong to no "
            f"input (check binary_data_size)",
            400,
        )
    return InferRequest(
        inputs, request_id, _outputs(doc), params.get("binary_data_output") is True, params
    )


def _input(spec, i: int, binary, offset: int, allowed, may_hold_bools) -> tuple[InferInput, int]:
    name = spec.get("name") if isinstance(spec, dict) else None
    where = f"inputs.{name}" if isinstance(name, str) else f"inputs[{i}]"
    if not isinstance(spec, dict):
        _bad(where, "expected an object with name, shape, datatype and data")
    for key in ("name", "shape", "datatype"):
        if key not in spec:
            _bad(f"{where}.{key}", "missing")
    extra = sorted(k for k in spec if k not in _TENSOR_KEYS)
    if extra:
        _bad(f"{where}.{extra[0]}", "unknown field in an OIP v2 input")
    if not isinstance(name, str):
        _bad(f"{where}.name", "expected a string")
    datatype = check_datatype(spec["datatype"], f"{where}.datatype")
    if allowed is not None and datatype not in allowed:
        _bad(
            f"{where}.datatype",
            f"{datatype!r} is not accepted here (use one of {', '.join(sorted(allowed))})",
        )
    shape = check_shape(spec["shape"], f"{where}.shape")
    size = _parameters(spec, f"{where}.").get("binary_data_size")
    if size is not None:
        if type(size) is not int or size < 0:
            _bad(f"{where}.parameters.binary_data_size", "expected a non-negative integer", 400)
        if "data" in spec:
            _bad(f"{where}.data", "binary_data_size and data both given: send one", 400)
        if offset + size > len(binary):
            _bad(
                f"{where}.parameters.binary_data_size",
                f"{size} bytes asked, only {len(binary) - offset} follow the header",
                400,
            )
        array = decode_binary(datatype, shape, binary[offset : offset + size], f"{where}.data")
        return InferInput(name, datatype, shape, array), offset + size
    if "data" not in spec:
        _bad(f"{where}.data", "missing (or give parameters.binary_data_size)")
    array = decode_json(datatype, shape, spec["data"], f"{where}.data", may_hold_bools)
    return InferInput(name, datatype, shape, array), offset


def _outputs(doc: dict) -> list[RequestedOutput] | None:
    raw = doc.get("outputs")
    if raw is None:
        return None
    if not isinstance(raw, list):
        _bad("outputs", "expected a list of {name, parameters}", 400)
    wanted = []
    for i, spec in enumerate(raw):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            _bad(f"outputs[{i}]", "expected an object with a string name", 400)
        extra = sorted(k for k in spec if k not in ("name", "parameters"))
        if extra:
            _bad(f"outputs.{spec['name']}.{extra[0]}", "unknown field in a requested output", 400)
        binary = _parameters(spec, f"outputs.{spec['name']}.").get("binary_data")
        wanted.append(RequestedOutput(spec["name"], binary if isinstance(binary, bool) else None))
    return wanted


def select_outputs(
    outputs: dict[str, np.ndarray], request: InferRequest | None
) -> list[tuple[str, np.ndarray, bool]]:
    """(name, array, as binary) for each output the request asked for (all when none named)."""
    if request is None or request.outputs is None:
        default = request.binary_outputs if request is not None else False
        return [(k, v, default) for k, v in outputs.items()]
    picked = []
    for want in request.outputs:
        if want.name not in outputs:
            _bad(
                f"outputs.{want.name}",
                f"unknown output (this model has: {', '.join(outputs)})",
                400,
            )
        binary = request.binary_outputs if want.binary is None else want.binary
        picked.append((want.name, outputs[want.name], binary))
    return picked


def encode_response(
    model_name: str,
    version: str,
    request_id: str | None,
    outputs: list[tuple[str, np.ndarray, bool]],
    extra: dict | None = None,
) -> tuple[bytes, int | None]:
    """The response body and, when some output is binary, the JSON header's length."""
    docs, blobs = [], []
    for name, array, binary in outputs:
        doc = {"name": name, "datatype": datatype_of(array), "shape": list(array.shape)}
        if binary:
            blob = encode_binary(array)
            doc["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            doc["data"] = json_data(array)
        docs.append(doc)
    body = {"model_name": model_name, "model_version": version}
    if request_id is not None:
        body["id"] = request_id
    body["outputs"] = docs
    if extra:
        body.update(extra)
    header = orjson.dumps(body)
    if not blobs:
        return header, None
    return b"".join([header, *blobs]), len(header)


def split_body(body: bytes, header_length: str | None) -> tuple[bytes, memoryview]:
    """(JSON header, binary tail) per `Inference-Header-Content-Length`."""
    if header_length is None:
        return body, memoryview(b"")
    if not header_length.isdigit() or int(header_length) > len(body):
        raise TensorInvalid(
            "Inference-Header-Content-Length",
            f"{header_length[:20]!r} is not a length within the {len(body)}-byte body",
            400,
        )
    n = int(header_length)
    return body[:n], memoryview(body)[n:]


def tensor_meta(name: str, datatype: str, shape) -> dict:
    return {"name": name, "datatype": datatype, "shape": list(shape)}


def metadata_doc(
    name: str,
    versions: list[str],
    platform: str,
    inputs: list[dict],
    outputs: list[dict],
    extras: dict,
) -> dict:
    """Model metadata per the spec (name, versions, platform, inputs, outputs); slipway's own
    fields (candidate, routing, features, ...) under `parameters`."""
    return {
        "name": name,
        "versions": versions,
        "platform": platform,
        "inputs": inputs,
        "outputs": outputs,
        "parameters": extras,
    }
