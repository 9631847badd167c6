"""The OpenAPI 3.0 document of the gateway's HTTP API, served at `/v2/openapi.json`.

Written by hand next to the routes (`app.py`, `http_infer.py`): every status a route can
answer is listed with its body, so a schema-driven fuzzer (Schemathesis, in the test suite)
can check that no request gets a 5xx and every answer matches the document.
"""

from __future__ import annotations

from slipway.core.oip import DTYPES

_ERROR = {"$ref": "#/components/schemas/Error"}
_REASONS = {
    200: "OK",
    400: "Malformed request: bad JSON, bad binary framing, unknown requested output",
    401: "Missing, unknown or revoked API key",
    403: "The key lacks the scope",
    404: "Unknown model, or the version is not loaded here",
    408: "Request headers or body too slow",
    413: "Body over --max-body-bytes",
    415: "Content type or encoding refused",
    422: "Refused by the serving contract or the declared datatype",
    429: "Rate limit (Retry-After)",
    500: "Inference failed",
    503: "No champion loaded yet, or over the connection limit",
    504: "Inference past --request-timeout-s",
}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok: dict, *codes: int, ok_content: dict | None = None) -> dict:
    out = {"200": {"description": "OK", **(ok_content or _json(ok))}}
    for code in codes:
        out[str(code)] = {"description": _REASONS[code], **_json(_ERROR)}
    return out


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _path_params(*names: str) -> list[dict]:
    return [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
    ]


_SECURED = [{"bearer": []}, {"apiKey": []}]
_INFER_CODES = (400, 401, 403, 404, 408, 413, 415, 422, 429, 500, 503, 504)


def _infer(versioned: bool) -> dict:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "post": {
            "summary": "OIP v2 inference (JSON, or the binary tensor extension)",
            "security": _SECURED,
            "parameters": [
                *_path_params("name", *(["version"] if versioned else [])),
                {
                    "name": "Inference-Header-Content-Length",
                    "in": "header",
                    "required": False,
                    "description": "Length of the JSON header; raw tensor bytes follow it",
                    "schema": {"type": "integer", "minimum": 0},
                },
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("InferRequest")}},
            },
            "responses": _responses(
                {},
                *_INFER_CODES,
                ok_content={
                    "content": {
                        "application/json": {"schema": _ref("InferResponse")},
                        "application/octet-stream": binary,
                    }
                },
            ),
        }
    }


def _meta(ready: bool, versioned: bool) -> dict:
    schema = _ref("ModelReady") if ready else _ref("ModelMetadata")
    codes = (401, 403, 404, 503) if ready else (401, 403, 404)
    return {
        "get": {
            "summary": "Model readiness" if ready else "Model metadata",
            "security": _SECURED,
            "parameters": _path_params("name", *(["version"] if versioned else [])),
            "responses": {
                **_responses(schema, *codes),
                **({"503": {"description": "Not loaded yet", **_json(schema)}} if ready else {}),
            },
        }
    }


def _schemas() -> dict:
    tensor_meta = {
        "type": "object",
        "required": ["name", "datatype", "shape"],
        "properties": {
            "name": {"type": "string"},
            "datatype": {"type": "string"},
            "shape": {"type": "array", "items": {"type": "integer"}},
        },
    }
    nullable = {"type": "string", "nullable": True}
    routing = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "mode": {"type": "string", "enum": ["off", "canary", "shadow"]},
            "weight": {"type": "integer", "minimum": 0, "maximum": 100},
            "canary_version": nullable,
        },
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}},
        },
        "InferRequest": {
            "type": "object",
            "required": ["inputs"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string"},
                "parameters": {"type": "object"},
                "inputs": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["name", "shape", "datatype"],
                        "properties": {
                            "name": {"type": "string"},
                            "datatype": {"type": "string", "enum": list(DTYPES)},
                            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                            "data": {"type": "array"},
                            "parameters": {"type": "object"},
                        },
                    },
                },
                "outputs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {
                            "name": {"type": "string"},
                            "parameters": {"type": "object"},
                        },
                    },
                },
            },
        },
        "InferResponse": {
            "type": "object",
            "required": ["model_name", "model_version", "outputs"],
            "properties": {
                "model_name": {"type": "string"},
                "model_version": {"type": "string"},
                "id": {"type": "string"},
                "variant": {"type": "string"},
                "outputs": {
                    "type": "array",
                    "items": {
                        **tensor_meta,
                        "properties": {
                            **tensor_meta["properties"],
                            "data": {"type": "array"},
                            "parameters": {"type": "object"},
                        },
                    },
                },
            },
        },
        "V1Request": {
            "type": "object",
            "required": ["instances"],
            "additionalProperties": False,
            "properties": {
                "instances": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "oneOf": [
                            {"type": "array", "items": {"type": "number"}},
                            {"type": "object"},
                        ]
                    },
                }
            },
        },
        "V1Response": {
            "type": "object",
            "required": ["predictions", "model_version", "variant"],
            "properties": {
                "predictions": {"type": "array"},
                "probabilities": {"type": "array"},
                "model_version": {"type": "string"},
                "variant": {"type": "string"},
            },
        },
        "ModelMetadata": {
            "type": "object",
            "required": ["name", "versions", "platform", "inputs", "outputs"],
            "properties": {
                "name": {"type": "string"},
                "versions": {"type": "array", "items": {"type": "string"}},
                "platform": {"type": "string"},
                "inputs": {"type": "array", "items": tensor_meta},
                "outputs": {"type": "array", "items": tensor_meta},
                "parameters": {"type": "object"},
            },
        },
        "ModelReady": {
            "type": "object",
            "required": ["name", "ready"],
            "properties": {"name": {"type": "string"}, "ready": {"type": "boolean"}},
        },
        "ServerMetadata": {
            "type": "object",
            "required": ["name", "version", "extensions"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "extensions": {"type": "array", "items": {"type": "string"}},
            },
        },
        "Ready": {
            "type": "object",
            "required": ["ready", "draining", "load_failures"],
            "properties": {
                "ready": {"type": "boolean"},
                "draining": {"type": "boolean"},
                "load_failures": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Routing": routing,
        "AdminState": {
            "type": "object",
            "required": ["model", "champion", "canary", "routing"],
            "properties": {
                "model": {"type": "string"},
                "champion": nullable,
                "canary": nullable,
                "routing": routing,
            },
        },
    }


def openapi_document(admin: bool) -> dict:
    v1 = {
        "post": {
            "summary": "Simple form: rows in, predictions out",
            "security": _SECURED,
            "parameters": _path_params("name"),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("V1Request")}},
            },
            "responses": _responses(_ref("V1Response"), *_INFER_CODES),
        }
    }
    paths = {
        "/v2": {
            "get": {"summary": "Server metadata", "responses": _responses(_ref("ServerMetadata"))}
        },
        "/v2/health/live": {
            "get": {
                "summary": "Liveness",
                "responses": _responses(
                    {
                        "type": "object",
                        "required": ["live"],
                        "properties": {"live": {"type": "boolean"}},
                    }
                ),
            }
        },
        "/v2/health/ready": {
            "get": {
                "summary": "Readiness (503 while draining or before a champion loads)",
                "responses": {
                    **_responses(_ref("Ready")),
                    "503": {"description": "Not ready", **_json(_ref("Ready"))},
                },
            }
        },
        "/v2/models/{name}": _meta(False, False),
        "/v2/models/{name}/ready": _meta(True, False),
        "/v2/models/{name}/infer": _infer(False),
        "/v2/models/{name}/versions/{version}": _meta(False, True),
        "/v2/models/{name}/versions/{version}/ready": _meta(True, True),
        "/v2/models/{name}/versions/{version}/infer": _infer(True),
        "/v1/models/{name}:predict": v1,
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }
    if admin:
        state = _ref("AdminState")
        paths["/admin/models/{name}/reload"] = {
            "post": {
                "summary": "Poll the registry now (and retry failed loads)",
                "security": _SECURED,
                "parameters": _path_params("name"),
                "responses": _responses(state, 401, 403, 404),
            }
        }
        paths["/admin/models/{name}/routing"] = {
            "get": {
                "summary": "Routing now",
                "security": _SECURED,
                "parameters": _path_params("name"),
                "responses": _responses(state, 401, 403, 404),
            },
            "put": {
                "summary": "Set routing (the registry tag every replica polls)",
                "security": _SECURED,
                "parameters": _path_params("name"),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("Routing")}},
                },
                "responses": _responses(state, 400, 401, 403, 404, 413, 422),
            },
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "slipway gateway",
            "version": "2",
            "description": "Open Inference Protocol v2 (KServe/Triton) and slipway's simple form",
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
