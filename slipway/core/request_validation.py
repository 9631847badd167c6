"""Pre-inference validation of a request payload against the serving contract (pure).

A tensor contract (schema 2 `inputs`, e.g. an image model's `[-1, 1, 32, 32]` FP32) takes
one OIP input per contract tensor (`check_tensors`): its datatype must be the contract's,
its shape must match (-1 = any size), the batch at most `max_batch_size`, floats finite and
values within the tensor's range; the simple form `{"instances": [item, ...]}` holds nested
lists of the item shape. A tabular contract takes these forms (both give a float array
[N, F] in the contract's feature order):
- simple: `{"instances": [[f0, f1, ...], ...]}` or `{"instances": [{"name": value, ...}, ...]}`;
- Open Inference Protocol v2: `{"inputs": [{"name": <input_name>, "shape": [N, F],
  "datatype": "FP32", "data": [...]}]}` (data flat or nested), or one input per feature
  (`"name": <feature>`, shape [N] or [N, 1]).

Every refusal raises RequestInvalid whose message names the field (the runtime is never
called on invalid input): wrong shape, wrong dtype, NaN/inf, out of range, missing or
unknown fields, too many rows.
"""

from __future__ import annotations

import numpy as np

from slipway.core.contract import ServingContract, TensorSpec
from slipway.core.oip import FLOAT, TensorInvalid, _short, cast_numbers
from slipway.core.oip import NUMERIC as NUMERIC_TYPES
from slipway.core.oip_messages import InferInput, parse_request

NUMERIC = (int, float)
_NP_DTYPE = {"float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64}


RequestInvalid = TensorInvalid
"""A request the contract (or the protocol) refuses; `field` names where, `status` the answer."""


_FLOAT_MAX = float(np.finfo(np.float64).max)


def _number(value, field: str) -> float:
    if type(value) not in NUMERIC:  # bool is not a number here, nor "1.0"
        raise RequestInvalid(
            field, f"expected a number, got {type(value).__name__} {_short(value)}"
        )
    if type(value) is int and not -_FLOAT_MAX <= value <= _FLOAT_MAX:
        raise RequestInvalid(field, "integer past the float range")
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
            f"has {len(row)} values, the contract expects {len(contract.features)} "
            f"(shape {contract.shape})",
        )
    for j, value in enumerate(row):
        if type(value) not in NUMERIC:
            _number(value, f"{field}.{contract.features[j].name}")
        elif type(value) is int and not -_FLOAT_MAX <= value <= _FLOAT_MAX:
            raise RequestInvalid(
                f"{field}.{contract.features[j].name}", "integer past the float range"
            )
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


def parse_instances(
    payload, contract: ServingContract, *, may_hold_bools: bool = True
) -> np.ndarray:
    """The simple form: `{"instances": [...]}` -> array [N, F].

    With `may_hold_bools=False` (the body has no `true`/`false`) rows of numbers convert in
    one numpy call; anything numpy does not turn into an [N, F] number array (strings, nulls,
    ragged rows, objects) takes the per-value walk, which names the offending field."""
    if not isinstance(payload, dict):
        raise RequestInvalid("body", 'expected a JSON object such as {"instances": [[...], ...]}')
    extra = sorted(k for k in payload if k != "instances")
    if extra:
        raise RequestInvalid(extra[0], 'unknown field: the body holds only "instances"')
    rows = payload.get("instances")
    if not isinstance(rows, list) or not rows:
        raise RequestInvalid("instances", "expected a non-empty list of rows")
    _check_rows(len(rows), contract, "instances")
    if not contract.is_tabular:
        return tensor_instances(rows, contract)
    if not may_hold_bools and isinstance(rows[0], list):
        try:
            x = np.array(rows)
        except (ValueError, OverflowError):
            x = None
        if (
            x is not None
            and x.dtype.kind in "iuf"
            and x.shape == (len(rows), len(contract.features))
        ):
            return check_values(x.astype(np.float64, copy=False), contract, "instances")
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


def parse_oip(
    payload,
    contract: ServingContract,
    binary: bytes | memoryview = b"",
    *,
    may_hold_bools: bool = True,
) -> np.ndarray:
    """The OIP v2 inference request -> array [N, F] (see `contract_rows`)."""
    request = parse_request(payload, binary, allowed=NUMERIC_TYPES, may_hold_bools=may_hold_bools)
    return contract_rows(request.inputs, contract)


def contract_rows(inputs: list[InferInput], contract: ServingContract) -> np.ndarray:
    """Decoded OIP inputs -> array [N, F]: one tensor named like the contract's input, shape
    [N, F], or one tensor per feature, shape [N] or [N, 1]. Datatypes were enforced by the
    codec (an INT8 tensor holds integers in range); here the contract's checks run."""
    if not contract.is_tabular:
        return check_tensors(inputs, contract)[contract.tensors[0].name]
    n_features = len(contract.features)
    if len(inputs) == 1 and inputs[0].name == contract.input_name:
        tensor, field = inputs[0], f"inputs.{contract.input_name}"
        if tensor.datatype not in NUMERIC_TYPES:
            raise RequestInvalid(
                f"{field}.datatype", f"{tensor.datatype!r} is not numeric (use FP32)"
            )
        if len(tensor.shape) != 2 or tensor.shape[1] != n_features:
            raise RequestInvalid(
                f"{field}.shape",
                f"{list(tensor.shape)} does not match the contract's {contract.shape}",
            )
        _check_rows(tensor.shape[0], contract, field)
        return check_values(tensor.array.astype(np.float64, copy=False), contract, field)
    known = set(contract.feature_names)
    for tensor in inputs:
        if tensor.name not in known:
            raise RequestInvalid(
                f"inputs.{tensor.name}",
                f"unknown input: send {contract.input_name!r} "
                f"[N, {n_features}] or one input per contract feature",
            )
    by_name = {t.name: t for t in inputs}
    if len(by_name) != len(inputs):
        raise RequestInvalid("inputs", "an input name appears twice")
    columns, rows = [], None
    for name in contract.feature_names:
        tensor = by_name.get(name)
        if tensor is None:
            raise RequestInvalid(f"inputs.{name}", "missing feature")
        if tensor.datatype not in NUMERIC_TYPES:
            raise RequestInvalid(
                f"inputs.{name}.datatype", f"{tensor.datatype!r} is not numeric (use FP32)"
            )
        n = tensor.array.size
        if list(tensor.shape) not in ([n], [n, 1]):
            raise RequestInvalid(
                f"inputs.{name}.shape", f"{list(tensor.shape)}: a feature column is [N] or [N, 1]"
            )
        if rows is not None and n != rows:
            raise RequestInvalid(
                f"inputs.{name}.shape", f"has {n} rows, other features have {rows}"
            )
        rows = n
        columns.append(tensor.array.reshape(-1).astype(np.float64, copy=False))
    _check_rows(rows or 0, contract, "inputs")
    return check_values(np.stack(columns, axis=1), contract, "inputs")


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
    if integer_columns:
        fractional = np.mod(x[:, integer_columns], 1) != 0
        if fractional.any():
            i, k = np.argwhere(fractional)[0]
            f = contract.features[integer_columns[k]]
            raise RequestInvalid(
                f"{field}[{i}].{f.name}",
                f"expected an integer ({f.dtype}), got {x[i, integer_columns[k]]:g}",
            )
    dtype = _NP_DTYPE.get(contract.input_dtype)
    if dtype is None:
        raise RequestInvalid(
            field,
            f"the contract's input dtype {contract.input_dtype!r} cannot be served from "
            "JSON numbers",
        )
    return np.ascontiguousarray(x, dtype=dtype)


# -- tensor contracts (schema 2) ------------------------------------------------------------


def check_tensors(inputs: list[InferInput], contract: ServingContract) -> dict[str, np.ndarray]:
    """Decoded OIP inputs -> {tensor name: array}, each checked against its contract tensor
    (name, datatype, shape, batch limit, NaN/inf, range); every refusal names the tensor."""
    specs = {t.name: t for t in contract.tensors}
    seen: dict[str, np.ndarray] = {}
    for tensor in inputs:
        field = f"inputs.{tensor.name}"
        spec = specs.get(tensor.name)
        if spec is None:
            raise RequestInvalid(
                field, f"unknown input: the contract's inputs are {', '.join(specs)}"
            )
        if tensor.name in seen:
            raise RequestInvalid(field, "this input name appears twice")
        if tensor.datatype != spec.datatype:
            raise RequestInvalid(
                f"{field}.datatype",
                f"{tensor.datatype} refused: the contract says {spec.datatype}",
            )
        seen[tensor.name] = check_tensor(tensor.array, spec, contract, field)
    missing = [n for n in specs if n not in seen]
    if missing:
        raise RequestInvalid(f"inputs.{missing[0]}", "missing input tensor")
    batches = {a.shape[0] for a in seen.values()}
    if len(batches) > 1:
        raise RequestInvalid("inputs", f"inputs disagree on the batch size: {sorted(batches)}")
    return seen


def check_tensor(
    array: np.ndarray, spec: TensorSpec, contract: ServingContract, field: str
) -> np.ndarray:
    """Shape, batch limit, NaN/inf and range of one decoded tensor (already of its dtype)."""
    if not spec.matches(array.shape):
        raise RequestInvalid(
            f"{field}.shape",
            f"{list(array.shape)} does not match the contract's {spec.shape} (-1: any size)",
        )
    if array.shape[0] == 0:
        raise RequestInvalid(f"{field}.shape", "a batch of 0 items")
    _check_rows(array.shape[0], contract, field)
    if spec.datatype in FLOAT:
        finite = np.isfinite(array)
        if not finite.all():
            at = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise RequestInvalid(
                f"{field}{list(at)}", f"{array[at]} refused: NaN and infinity are not allowed"
            )
    if spec.datatype != "BYTES" and (spec.min is not None or spec.max is not None):
        low = -np.inf if spec.min is None else spec.min
        high = np.inf if spec.max is None else spec.max
        outside = (array < low) | (array > high)
        if outside.any():
            at = tuple(int(i) for i in np.argwhere(outside)[0])
            raise RequestInvalid(
                f"{field}{list(at)}",
                f"value {array[at]:g} is outside the contract range [{_g(spec.min)}, "
                f"{_g(spec.max)}]",
            )
    return np.ascontiguousarray(array)


def tensor_instances(rows: list, contract: ServingContract) -> np.ndarray:
    """`{"instances": [item, ...]}` for a one-input tensor contract: nested lists of numbers
    of the item shape -> the input array in the contract's datatype."""
    spec = contract.tensors[0]
    if len(contract.tensors) != 1 or spec.datatype not in NUMERIC_TYPES:
        raise RequestInvalid(
            "instances", 'this model takes named tensors: use the OIP v2 form {"inputs": [...]}'
        )
    try:
        x = np.array(rows)
    except (ValueError, OverflowError):
        x = None
    if x is None or x.dtype.kind not in "iuf":
        raise RequestInvalid(
            "instances", f"expected nested lists of numbers, each item of shape {spec.item_shape}"
        )
    field = f"instances.{spec.name}"
    if not spec.matches(x.shape):
        raise RequestInvalid(
            f"{field}.shape",
            f"{list(x.shape)} does not match the contract's {spec.shape} (-1: any size)",
        )
    return check_tensor(cast_numbers(x, spec.datatype, field), spec, contract, field)
