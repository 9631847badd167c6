"""The HTTP inference endpoints as a plain ASGI handler (the hot path).

`POST /v2/models/{name}[/versions/{version}]/infer` (OIP v2: JSON, or the binary tensor
extension: a JSON header of `Inference-Header-Content-Length` bytes, then raw tensors) and
`POST /v1/models/{name}:predict`. It reads only the headers it needs from the ASGI scope
and answers with one `send` of a prebuilt body: a framework Request/Response per call cost
more than the rest of a small model's request. What it checks, and in which order, is in
`slipway.serving.service` (shared with gRPC); here only framing: content type (415), body
size (413, before reading past the limit), JSON (400, never a 500: depth, huge integers).
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qsl

import orjson

from slipway.core.oip import NUMERIC, TensorInvalid
from slipway.core.oip_messages import encode_response, parse_request, select_outputs, split_body
from slipway.core.request_validation import contract_rows, parse_instances
from slipway.serving.gateway import HttpError
from slipway.serving.service import InferenceService

log = logging.getLogger("slipway.serving")
_WANTED = {
    b"authorization",
    b"x-api-key",
    b"content-type",
    b"content-length",
    b"x-request-id",
    b"x-slipway-route-key",
    b"inference-header-content-length",
    b"content-encoding",
}
_JSON = b"application/json"


class ClientGone(Exception):
    """The client disconnected before its body arrived (nothing to answer)."""


def scope_headers(scope) -> dict[str, str]:
    return {k.decode(): v.decode("latin-1") for k, v in scope["headers"] if k in _WANTED}


def query_names(scope) -> list[str]:
    raw = scope.get("query_string")
    return [k for k, _ in parse_qsl(raw.decode("latin-1"), keep_blank_values=True)] if raw else []


def check_content_type(ctype: str | None, binary: bool, encoding: str | None) -> None:
    """No content type reads as JSON (tritonclient sends none); octet-stream needs a header
    length."""
    if encoding and encoding.strip().lower() != "identity":
        raise HttpError(
            415, f"content encoding {encoding[:40]!r} refused: send the body uncompressed"
        )
    if not ctype:
        return
    base = ctype.split(";")[0].strip().lower()
    if base != "application/json" and not (binary and base == "application/octet-stream"):
        raise HttpError(
            415,
            f"content type {ctype[:60]!r} refused: send application/json (or "
            "application/octet-stream with Inference-Header-Content-Length)",
        )


async def read_body(receive, length: str | None, limit: int) -> bytes:
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise HttpError(413, f"body of {length[:20]} bytes is over the {limit}-byte limit")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"body is over the {limit}-byte limit")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _int_literal(text: str):
    """json's parse_int: an integer past the float range is refused here, before Python's
    4300-digit int conversion limit turns it into a ValueError far from the parser."""
    if len(text) > 20:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise ValueError(f"integer literal of {len(text)} digits is past the float range")
        return int(text) if len(text) <= 4300 else value
    return int(text)


def parse_json(data: bytes):
    """Body -> JSON; every failure is a 400 naming the cause (NaN/Infinity are read, so the
    contract can name the field that holds them)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise HttpError(400, "body is not valid JSON: nested deeper than 1024 levels") from None
    try:
        return json.loads(data, parse_int=_int_literal)
    except RecursionError:
        raise HttpError(400, "body is not valid JSON: nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(
            400, f"body is not valid JSON ({exc.__class__.__name__}: {str(exc)[:120]})"
        ) from None


def v1_body(outputs: dict, version: str, variant: str) -> dict:
    labels = outputs.get("label")
    body = {
        "predictions": (labels if labels is not None else next(iter(outputs.values()))).tolist()
    }
    if "probabilities" in outputs:
        body["probabilities"] = outputs["probabilities"].tolist()
    body["model_version"], body["variant"] = version, variant
    return body


class InferEndpoint:
    def __init__(self, service: InferenceService, max_body_bytes: int) -> None:
        self.service = service
        self.limit = max_body_bytes

    async def __call__(
        self, scope, receive, send, form: str, name: str, version: str | None
    ) -> None:
        svc, started = self.service, time.perf_counter()
        headers = scope_headers(scope)
        rid = svc.request_id(headers.get("x-request-id"))
        served_version, variant, key_id, extra, header_length = "", "champion", "", None, None
        ctype = _JSON
        try:
            client = scope.get("client")
            adm = svc.admit(name, version, headers, query_names(scope), client[0] if client else "")
            served_version, variant, key_id = adm.served.version, adm.variant, adm.key_id
            hlen = headers.get("inference-header-content-length") if form == "v2" else None
            check_content_type(
                headers.get("content-type"), hlen is not None, headers.get("content-encoding")
            )
            body = await read_body(receive, headers.get("content-length"), self.limit)
            tail = b""
            if hlen is not None:
                body, tail = svc.checked(adm, split_body, body, hlen)
            payload = parse_json(body)
            bools = b"true" in body or b"false" in body
            if form == "v2":
                request = svc.checked(
                    adm, parse_request, payload, tail, allowed=NUMERIC, may_hold_bools=bools
                )
                x = svc.checked(adm, contract_rows, request.inputs, adm.served.contract)
                if request.outputs is not None:  # unknown names: 400 before the runtime runs
                    svc.checked(
                        adm, select_outputs, dict.fromkeys(adm.served.output_names), request
                    )
                outputs = await svc.run(adm, x)
                served_version = adm.served.version
                picked = select_outputs(outputs, request)
                rid_out = request.id if request.id is not None else rid
                content, header_length = encode_response(
                    name, served_version, rid_out, picked, {"variant": variant}
                )
                if header_length is not None:
                    ctype = b"application/octet-stream"
            else:
                x = svc.checked(
                    adm, parse_instances, payload, adm.served.contract, may_hold_bools=bools
                )
                outputs = await svc.run(adm, x)
                served_version = adm.served.version
                content = orjson.dumps(
                    v1_body(outputs, served_version, variant), option=orjson.OPT_SERIALIZE_NUMPY
                )
            code = 200
        except HttpError as exc:
            code, content, extra = exc.status, orjson.dumps({"error": exc.message}), exc.headers
        except ClientGone:
            svc.record(name, served_version, variant, 499, started, rid, scope["path"], key_id)
            return
        except TensorInvalid as exc:  # a codec refusal outside `checked` (bad outputs)
            code, content = exc.status, orjson.dumps({"error": str(exc)})
        except Exception:  # a bug: one JSON log line with the traceback, a counted JSON 500
            log.exception(
                "unhandled error on the inference path",
                extra={"request_id": rid, "path": scope["path"]},
            )
            code, content = 500, orjson.dumps({"error": f"internal error (request {rid})"})
        svc.record(name, served_version, variant, code, started, rid, scope["path"], key_id)
        out = [
            (b"content-type", ctype),
            (b"content-length", b"%d" % len(content)),
            (b"x-request-id", rid.encode()),
        ]
        if served_version:
            out.append((b"x-slipway-model-version", served_version.encode()))
            out.append((b"x-slipway-variant", variant.encode()))
        if header_length is not None:
            out.append((b"inference-header-content-length", b"%d" % header_length))
        if extra:
            out.extend((k.lower().encode(), str(v).encode()) for k, v in extra.items())
        await send({"type": "http.response.start", "status": code, "headers": out})
        await send({"type": "http.response.body", "body": content})
