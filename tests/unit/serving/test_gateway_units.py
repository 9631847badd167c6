"""Gateway parts without a server: log lines, request ids, the committed gRPC module, routing
checks, the OpenAPI document, JSON parsing limits."""

import io
import json
import logging

import pytest

from slipway.serving.gateway import Gateway, HttpError
from slipway.serving.http_infer import parse_json
from slipway.serving.logs import JsonFormatter, configure_logging
from slipway.serving.service import RequestIds


def test_server_stack_tracebacks_are_one_json_line(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure_logging()
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    doc = json.loads(lines[0])
    assert doc["logger"] == "uvicorn.error" and doc["error"] == "ValueError: boom"
    assert doc["exc"].startswith("Traceback") and "raise ValueError" in doc["exc"]


def test_formatter_keeps_extra_fields():
    record = logging.LogRecord("slipway.serving", logging.INFO, "", 0, "hello", (), None)
    record.model = "m"
    assert json.loads(JsonFormatter().format(record))["model"] == "m"


def test_request_ids_keep_short_tokens_and_replace_the_rest():
    ids = RequestIds()
    assert ids("abc-1.2_~") == "abc-1.2_~"
    fresh = {ids(v) for v in (None, "", "x" * 129, "a b", "é", "a\tb", "a/b")}
    assert len(fresh) == 7 and all(len(i) == 16 for i in fresh)


def test_committed_grpc_module_matches_the_proto(tmp_path):
    from pathlib import Path

    from slipway.serving.v2grpc.generate import PROTO, generate

    root = Path(__file__).resolve().parents[3]
    fresh = generate(root, tmp_path)
    assert fresh.read_text() == (root / PROTO.replace(".proto", "_pb2.py")).read_text(), (
        "run `make grpc-stubs` and commit the result"
    )


def test_grpc_messages_live_beside_tritonclient():
    import tritonclient.grpc.service_pb2 as theirs

    from slipway.serving.v2grpc import grpc_predict_v2_pb2 as ours

    request = ours.ModelInferRequest(model_name="m", id="r", raw_input_contents=[b"\x00" * 4])
    request.inputs.add(name="input", datatype="FP32", shape=[1, 1])
    decoded = theirs.ModelInferRequest.FromString(request.SerializeToString())
    assert (decoded.model_name, decoded.inputs[0].shape, decoded.raw_input_contents) == (
        "m",
        [1, 1],
        [b"\0" * 4],
    )


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"mode": "canary", "weight": 5, "canary_version": "../../etc"}, 422),
        ({"mode": "canary", "weight": 5, "canary_version": "007"}, 422),
        ({"mode": "canary", "weight": 5}, 422),
        ({"mode": "sideways"}, 422),
    ],
)
def test_malformed_routing_is_422(payload, code):
    with pytest.raises(HttpError) as exc:
        Gateway.parse_routing(payload)
    assert exc.value.status == code
    assert (
        Gateway.parse_routing(
            {"mode": "canary", "weight": 5, "canary_version": "12"}
        ).canary_version
        == "12"
    )


@pytest.mark.parametrize(
    "body, needle",
    [
        (b"[" * 3000, "nested"),
        (b"[1" + b"0" * 400 + b"]", "float range"),
        (b"[" + b"9" * 6000 + b"]", "float range"),
        (b"\xff\xfe", "not valid JSON"),
        (b'{"a": 1', "not valid JSON"),
    ],
)
def test_json_parse_failures_are_400(body, needle):
    with pytest.raises(HttpError) as exc:
        parse_json(body)
    assert exc.value.status == 400 and needle in exc.value.message


def test_json_keeps_nan_for_the_contract_to_name():
    assert str(parse_json(b'{"x": [NaN, 1]}')["x"][0]) == "nan"


def test_openapi_document_lists_every_route_with_json_errors():
    from slipway.serving.openapi import openapi_document

    doc = openapi_document(admin=True)
    assert {
        "/v2",
        "/v2/models/{name}/versions/{version}/infer",
        "/admin/models/{name}/routing",
    } <= set(doc["paths"])
    infer = doc["paths"]["/v2/models/{name}/infer"]["post"]["responses"]
    assert {"200", "400", "413", "415", "422", "429"} <= set(infer)
    assert "/admin/models/{name}/reload" not in openapi_document(admin=False)["paths"]
