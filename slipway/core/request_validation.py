"""Pre-inference validation of a request payload against the serving contract (pure).

Accepted forms (both give a float array [N, F] in the contract's feature order):
- simple: `{"instances": [[f0, f1, ...], ...]}` or `{"instances": [{"name": value, ...}, ...]}`;
- Open Inference Protocol v2: `{"inputs": [{"name": <input_name>, "shape": [N, F],
  "datatype": "FP32", "data": [...]}]}` (data flat or nested), or one input per feature
  (`"name": <feature>`, shape [N] or [N, 1]).

Every refusal raises RequestInvalid whose message names the field (the runtime is never
called on invalid input): wrong shape, wrong dtype, NaN/inf, out of range, missing or
unknown fields, too many rows.
"""

from __future__ import annotations

import math

import numpy as np

from slipway.core.contract import ServingContract

NUMERIC = (int, float)
OIP_NUMERIC = {
    "FP16",
    "FP32",
    "FP64",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "UINT8",
    "UINT16",
    "UINT32",
    "UINT64",
}
_NP_DTYPE = {"float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64}


class RequestInvalid(ValueError):
    """A request the contract refuses; `field` names where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _number(value, field: str) -> float:
    if type(value) not in NUMERIC:  # bool is not a number here, nor "1.0"
        raise RequestInvalid(field, f"expected a number, got {type(value).__name__} {value!r:.40}")
    return value


def _row_from_list(row, index: int, contract: ServingContract) -> list:
    field = f"instances[{index}]"
    if not isinstance(row, list):
        raise RequestInvalid(
            field,
            f"expected a list of {len(contract.features)} numbers or an object by feature name",
        )
    if len(row) != len(contract.features):
        raise RequestInvalid(
            field,
            f"has {len(row)} values, the contract expects {len(contract.features)} (shape "
            f"{contract.shape})",
        )
    for j, value in enumerate(row):
        if type(value) not in NUMERIC:
            _number(value, f"{field}.{contract.features[j].name}")
    return row


def _row_from_dict(row: dict, index: int, contract: ServingContract, names: list[str]) -> list:
    field = f"instances[{index}]"
    if len(row) != len(names) or any(name not in row for name in names):
        missing = [n for n in names if n not in row]
        if missing:
            raise RequestInvalid(
                f"{field}.{missing[0]}", f"missing feature ({len(missing)} missing in all)"
            )
        extra = sorted(k for k in row if k not in set(names))
        raise RequestInvalid(f"{field}.{extra[0]}", "unknown feature: not in the serving contract")
    return [_number(row[name], f"{field}.{name}") for name in names]


def parse_instances(payload, contract: ServingContract) -> np.ndarray:
    """The simple form: `{"instances": [...]}` -> array [N, F]."""
    if not isinstance(payload, dict):
        raise RequestInvalid("body", 'expected a JSON object such as {"instances": [[...], ...]}')
    extra = sorted(k for k in payload if k != "instances")
    if extra:
        raise RequestInvalid(extra[0], 'unknown field: the body holds only "instances"')
    rows = payload.get("instances")
    if not isinstance(rows, list) or not rows:
        raise RequestInvalid("instances", "expected a non-empty list of rows")
    _check_rows(len(rows), contract, "instances")
    names = contract.feature_names
    if isinstance(rows[0], dict):
        values = [
            _row_from_dict(r, i, contract, names) if isinstance(r, dict) else _mixed(i)
            for i, r in enumerate(rows)
        ]
    else:
        values = [_row_from_list(r, i, contract) for i, r in enumerate(rows)]
    return check_values(np.asarray(values, dtype=np.float64), contract, "instances")


def _mixed(index: int):
    raise RequestInvalid(f"instances[{index}]", "rows mix lists and objects: use one form")


def _check_rows(n: int, contract: ServingContract, field: str) -> None:
    if n > contract.max_batch_size:
        raise RequestInvalid(
            field, f"{n} rows is over the contract's max_batch_size {contract.max_batch_size}"
        )


def _flat_numbers(data, field: str) -> list:
    """Flatten nested lists of numbers, refusing anything else."""
    if not isinstance(data, list):
        raise RequestInvalid(field, "expected a list of numbers")
    if data and isinstance(data[0], list):
        flat = []
        for item in data:
            flat.extend(_flat_numbers(item, field))
        return flat
    for j, value in enumerate(data):
        if type(value) not in NUMERIC:
            _number(value, f"{field}[{j}]")
    return data


def _tensor(spec, field: str) -> tuple[list[int], list]:
    if not isinstance(spec, dict):
        raise RequestInvalid(field, "expected an object with name, shape, datatype and data")
    for key in ("name", "shape", "datatype", "data"):
        if key not in spec:
            raise RequestInvalid(f"{field}.{key}", "missing")
    extra = sorted(k for k in spec if k not in ("name", "shape", "datatype", "data", "parameters"))
    if extra:
        raise RequestInvalid(f"{field}.{extra[0]}", "unknown field in an OIP v2 input")
    if spec["datatype"] not in OIP_NUMERIC:
        raise RequestInvalid(f"{field}.datatype", f"{spec['datatype']!r} is not numeric (use FP32)")
    shape = spec["shape"]
    if not isinstance(shape, list) or not shape or any(type(d) is not int or d < 0 for d in shape):
        raise RequestInvalid(f"{field}.shape", "expected a list of non-negative integers")
    data = _flat_numbers(spec["data"], f"{field}.data")
    if len(data) != math.prod(shape):
        raise RequestInvalid(
            f"{field}.data", f"holds {len(data)} values but shape {shape} needs {math.prod(shape)}"
        )
    return shape, data


def parse_oip(payload, contract: ServingContract) -> np.ndarray:
    """The OIP v2 inference request -> array [N, F]."""
    if not isinstance(payload, dict):
        raise RequestInvalid("body", 'expected a JSON object with "inputs"')
    extra = sorted(k for k in payload if k not in ("inputs", "id", "parameters", "outputs"))
    if extra:
        raise RequestInvalid(extra[0], "unknown field in an OIP v2 inference request")
    inputs = payload.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise RequestInvalid("inputs", "expected a non-empty list of input tensors")
    names = [i.get("name") if isinstance(i, dict) else None for i in inputs]
    n_features = len(contract.features)
    if len(inputs) == 1 and names[0] == contract.input_name:
        shape, data = _tensor(inputs[0], f"inputs.{contract.input_name}")
        if len(shape) != 2 or shape[1] != n_features:
            raise RequestInvalid(
                f"inputs.{contract.input_name}.shape",
                f"{shape} does not match the contract's {contract.shape}",
            )
        _check_rows(shape[0], contract, f"inputs.{contract.input_name}")
        return check_values(
            np.asarray(data, dtype=np.float64).reshape(shape),
            contract,
            f"inputs.{contract.input_name}",
        )
    known = set(contract.feature_names)
    for name in names:
        if name not in known:
            raise RequestInvalid(
                f"inputs.{name}",
                f"unknown input: send {contract.input_name!r} [N, {n_features}] or one input per "
                "contract feature",
            )
    by_name = dict(zip(names, inputs, strict=True))
    if len(by_name) != len(inputs):
        raise RequestInvalid("inputs", "an input name appears twice")
    columns, rows = [], None
    for name in contract.feature_names:
        if name not in by_name:
            raise RequestInvalid(f"inputs.{name}", "missing feature")
        shape, data = _tensor(by_name[name], f"inputs.{name}")
        if shape not in ([len(data)], [len(data), 1]):
            raise RequestInvalid(
                f"inputs.{name}.shape", f"{shape}: a feature column is [N] or [N, 1]"
            )
        if rows is not None and len(data) != rows:
            raise RequestInvalid(
                f"inputs.{name}.shape", f"has {len(data)} rows, other features have {rows}"
            )
        rows = len(data)
        columns.append(data)
    _check_rows(rows or 0, contract, "inputs")
    return check_values(
        np.asarray(columns, dtype=np.float64).T.reshape(rows, n_features), contract, "inputs"
    )


def _g(bound: float | None) -> str:
    return "unbounded" if bound is None else f"{bound:g}"


_BOUNDS: dict[int, tuple] = {}


def _bounds(contract: ServingContract) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Per-feature lows, highs and integer columns, computed once per contract object."""
    entry = _BOUNDS.get(id(contract))
    if entry is None or entry[0] is not contract:
        if len(_BOUNDS) > 256:
            _BOUNDS.clear()
        features = contract.features
        entry = _BOUNDS[id(contract)] = (
            contract,
            np.array([-np.inf if f.min is None else f.min for f in features]),
            np.array([np.inf if f.max is None else f.max for f in features]),
            [j for j, f in enumerate(features) if f.dtype in ("int32", "int64")],
        )
    return entry[1], entry[2], entry[3]


def check_values(x: np.ndarray, contract: ServingContract, field: str) -> np.ndarray:
    """NaN/inf and range checks on a float64 [N, F] array; returns it in the contract's dtype."""
    if x.shape[0] == 0:
        raise RequestInvalid(field, "no rows")
    finite = np.isfinite(x)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        raise RequestInvalid(
            f"{field}[{i}].{contract.features[j].name}",
            f"{x[i, j]} refused: NaN and infinity are not allowed",
        )
    lows, highs, integer_columns = _bounds(contract)
    if not ((x >= lows) & (x <= highs)).all():
        i, j = np.argwhere((x < lows) | (x > highs))[0]
        f = contract.features[j]
        raise RequestInvalid(
            f"{field}[{i}].{f.name}",
            f"value {x[i, j]:g} is outside the contract range [{_g(f.min)}, {_g(f.max)}]",
        )
    for j in integer_columns:
        f = contract.features[j]
        if not np.all(np.mod(x[:, j], 1) == 0):
            i = int(np.argwhere(np.mod(x[:, j], 1) != 0)[0][0])
            raise RequestInvalid(
                f"{field}[{i}].{f.name}", f"expected an integer ({f.dtype}), got {x[i, j]:g}"
            )
    dtype = _NP_DTYPE.get(contract.input_dtype)
    if dtype is None:
        raise RequestInvalid(
            field,
            f"the contract's input dtype {contract.input_dtype!r} cannot be served from JSON "
            "numbers",
        )
    return np.ascontiguousarray(x, dtype=dtype)
