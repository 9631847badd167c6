"""The KServe v2 gRPC service (`inference.GRPCInferenceService`) on `--grpc-port`.

It runs on the HTTP server's event loop (grpc.aio) and goes through the same
`InferenceService` steps as HTTP: auth from the `authorization` (Bearer) or `x-api-key`
metadata, the rate limit, routing and version pinning, the OIP codec (typed contents or
`raw_input_contents`), the contract, the shared micro-batcher, and the same metrics and
access log (an outcome is counted under the HTTP status it maps from: a refused contract is
422 in `slipway_requests_total` and INVALID_ARGUMENT on the wire). Outputs are answered as
`raw_output_contents`, as Triton does. Messages over `--max-body-bytes` are refused by grpc
itself (RESOURCE_EXHAUSTED) before they reach the handler.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from slipway.core.oip import (
    TensorInvalid,
    cast_numbers,
    check_datatype,
    decode_binary,
    encode_binary,
)
from slipway.core.oip_messages import InferInput, InferRequest, RequestedOutput, select_outputs
from slipway.core.request_validation import contract_rows
from slipway.serving.gateway import HttpError
from slipway.serving.service import InferenceService

log = logging.getLogger("slipway.serving")
SERVICE = "inference.GRPCInferenceService"
_CONTENTS = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}


def grpc_code(status: int):
    import grpc

    return {
        400: grpc.StatusCode.INVALID_ARGUMENT,
        401: grpc.StatusCode.UNAUTHENTICATED,
        403: grpc.StatusCode.PERMISSION_DENIED,
        404: grpc.StatusCode.NOT_FOUND,
        413: grpc.StatusCode.RESOURCE_EXHAUSTED,
        415: grpc.StatusCode.INVALID_ARGUMENT,
        422: grpc.StatusCode.INVALID_ARGUMENT,
        429: grpc.StatusCode.RESOURCE_EXHAUSTED,
        503: grpc.StatusCode.UNAVAILABLE,
        504: grpc.StatusCode.DEADLINE_EXCEEDED,
    }.get(status, grpc.StatusCode.INTERNAL)


def decode_request(request) -> InferRequest:
    """A ModelInferRequest -> the codec's InferRequest (every datatype; sizes checked)."""
    raw = list(request.raw_input_contents)
    if raw and len(raw) != len(request.inputs):
        raise TensorInvalid(
            "raw_input_contents",
            f"{len(raw)} entries for {len(request.inputs)} inputs: send one per input, in order",
            400,
        )
    if not request.inputs:
        raise TensorInvalid("inputs", "expected a non-empty list of input tensors")
    inputs = []
    for i, tensor in enumerate(request.inputs):
        where = f"inputs.{tensor.name or i}"
        datatype = check_datatype(tensor.datatype, f"{where}.datatype")
        shape = tuple(tensor.shape)
        if any(d < 0 for d in shape):
            raise TensorInvalid(f"{where}.shape", "expected non-negative dimensions")
        if raw:
            array = decode_binary(datatype, shape, raw[i], f"{where}.contents")
        else:
            array = _typed(tensor.contents, datatype, shape, where)
        inputs.append(InferInput(tensor.name, datatype, shape, array))
    outputs = None
    if request.outputs:
        outputs = [RequestedOutput(o.name, True) for o in request.outputs]
    return InferRequest(inputs, request.id or None, outputs, True)


def _typed(contents, datatype: str, shape, where: str) -> np.ndarray:
    field = _CONTENTS.get(datatype)
    if field is None:
        raise TensorInvalid(
            f"{where}.contents", f"{datatype} travels only as raw_input_contents", 400
        )
    values = list(getattr(contents, field))
    if len(values) != int(np.prod(shape)):
        raise TensorInvalid(
            f"{where}.contents",
            f"{field} holds {len(values)} values but shape "
            f"{list(shape)} needs {int(np.prod(shape))}",
        )
    if datatype == "BYTES":
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array.reshape(shape)
    if datatype == "BOOL":
        return np.array(values, dtype=np.bool_).reshape(shape)
    return cast_numbers(np.array(values).reshape(shape), datatype, f"{where}.contents")


def build_handler(service: InferenceService, pb):
    """The generic handler for the six methods, bound to `service`."""
    import grpc

    gw = service.gw

    async def fail(context, exc: HttpError):
        await context.abort(grpc_code(exc.status), exc.message)

    async def server_live(request, context):
        return pb.ServerLiveResponse(live=True)

    async def server_ready(request, context):
        return pb.ServerReadyResponse(ready=gw.ready())

    async def server_metadata(request, context):
        from slipway import __version__

        return pb.ServerMetadataResponse(
            name="slipway", version=__version__, extensions=["binary_tensor_data"]
        )

    async def model_ready(request, context):
        md = dict(context.invocation_metadata())
        try:
            ok = service.model_ready(request.name, request.version or None, md, ())
        except HttpError as exc:
            await fail(context, exc)
        return pb.ModelReadyResponse(ready=ok)

    async def model_metadata(request, context):
        md = dict(context.invocation_metadata())
        try:
            doc = service.metadata(request.name, request.version or None, md, ())
        except HttpError as exc:
            await fail(context, exc)
        meta = pb.ModelMetadataResponse.TensorMetadata
        return pb.ModelMetadataResponse(
            name=doc["name"],
            versions=doc["versions"],
            platform=doc["platform"],
            inputs=[meta(**t) for t in doc["inputs"]],
            outputs=[meta(**t) for t in doc["outputs"]],
        )

    async def model_infer(request, context):
        started = time.perf_counter()
        md = dict(context.invocation_metadata())
        rid = service.request_id(md.get("x-request-id"))
        name, version, variant, key_id = request.model_name, "", "champion", ""
        try:
            peer = context.peer() or ""
            adm = service.admit(name, request.model_version or None, md, (), peer.rsplit(":", 1)[0])
            version, variant, key_id = adm.served.version, adm.variant, adm.key_id
            decoded = service.checked(adm, decode_request, request)
            x = service.checked(adm, contract_rows, decoded.inputs, adm.served.contract)
            if decoded.outputs is not None:
                service.checked(
                    adm, select_outputs, dict.fromkeys(adm.served.output_names), decoded
                )
            outputs = await service.run(adm, x)
            version = adm.served.version
            reply = pb.ModelInferResponse(model_name=name, model_version=version, id=request.id)
            for out_name, array, _ in select_outputs(outputs, decoded):
                reply.outputs.add(name=out_name, datatype=_datatype(array), shape=list(array.shape))
                reply.raw_output_contents.append(encode_binary(array))
            code = 200
        except HttpError as exc:
            code, error = exc.status, exc
        except Exception:  # a bug: logged as one JSON line, counted, INTERNAL to the client
            log.exception("unhandled error on the gRPC inference path", extra={"request_id": rid})
            code, error = 500, HttpError(500, f"internal error (request {rid})")
        service.record(name, version, variant, code, started, rid, f"/{SERVICE}/ModelInfer", key_id)
        if code != 200:
            await fail(context, error)
        return reply

    methods = {
        "ServerLive": (server_live, pb.ServerLiveRequest),
        "ServerReady": (server_ready, pb.ServerReadyRequest),
        "ServerMetadata": (server_metadata, pb.ServerMetadataRequest),
        "ModelReady": (model_ready, pb.ModelReadyRequest),
        "ModelMetadata": (model_metadata, pb.ModelMetadataRequest),
        "ModelInfer": (model_infer, pb.ModelInferRequest),
    }
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            name: grpc.unary_unary_rpc_method_handler(
                fn,
                request_deserializer=req.FromString,
                response_serializer=lambda m: m.SerializeToString(),
            )
            for name, (fn, req) in methods.items()
        },
    )


def _datatype(array: np.ndarray) -> str:
    from slipway.core.oip import datatype_of

    return datatype_of(array)


async def start_grpc(service: InferenceService, config):
    """Start the gRPC server on the running loop; returns it (call `.stop(grace)`)."""
    import grpc

    from slipway.serving.v2grpc import grpc_predict_v2_pb2 as pb

    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", config.max_body_bytes),
            ("grpc.max_send_message_length", 64 * 1024 * 1024),
        ]
    )
    server.add_generic_rpc_handlers((build_handler(service, pb),))
    address = f"{config.host}:{config.grpc_port}"
    if config.ssl_certfile:
        creds = grpc.ssl_server_credentials(
            [(config.ssl_keyfile.read_bytes(), config.ssl_certfile.read_bytes())]
        )
        port = server.add_secure_port(address, creds)
    else:
        port = server.add_insecure_port(address)
    await server.start()
    log.info("gRPC serving", extra={"port": port, "service": SERVICE})
    return server
