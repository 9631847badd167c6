"""Open Inference Protocol v2 tensors: datatypes, JSON and binary encodings (pure).

One codec for every transport: the HTTP JSON form (`data` as a flat or nested list), the
HTTP binary tensor extension (raw little-endian bytes after the JSON header, sized by the
`binary_data_size` parameter) and the gRPC raw contents all become a numpy array here, with
the declared `datatype` enforced: an INT8 tensor holding 3.7 or 300 is refused, a BOOL
tensor holds only true/false, a BYTES tensor only strings (utf-8) or, in binary, elements
framed by a 4-byte little-endian length. Every refusal is a `TensorInvalid` naming the
field. The tabular contract uses FP32/INT64; image and text models reuse the rest.
"""

from __future__ import annotations

import math
import struct

import numpy as np

# datatype -> numpy dtype (little-endian on the wire); BYTES holds python `bytes` objects
DTYPES: dict[str, np.dtype] = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype("<u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "INT8": np.dtype("<i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
    "BYTES": np.dtype(object),
}
INTEGER = {k for k, v in DTYPES.items() if v.kind in "iu"}
FLOAT = {"FP16", "FP32", "FP64"}
NUMERIC = INTEGER | FLOAT
_BY_KIND = {("b", 1): "BOOL", ("f", 2): "FP16", ("f", 4): "FP32", ("f", 8): "FP64"}
_BY_KIND |= {("i", n): f"INT{8 * n}" for n in (1, 2, 4, 8)}
_BY_KIND |= {("u", n): f"UINT{8 * n}" for n in (1, 2, 4, 8)}
_MAX_DIMS = 32


class TensorInvalid(ValueError):
    """A tensor the protocol refuses; `field` names where, `status` is the HTTP answer."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.status = field, status


def datatype_of(array: np.ndarray) -> str:
    """The OIP datatype of a numpy array (strings and objects are BYTES)."""
    return _BY_KIND.get((array.dtype.kind, array.dtype.itemsize), "BYTES")


def check_datatype(datatype, field: str) -> str:
    if datatype not in DTYPES:
        raise TensorInvalid(
            field, f"{_short(datatype)} is not an OIP datatype (one of {', '.join(DTYPES)})"
        )
    return datatype


def check_shape(shape, field: str) -> tuple[int, ...]:
    if (
        not isinstance(shape, list)
        or len(shape) > _MAX_DIMS
        or any(type(d) is not int or d < 0 for d in shape)
    ):
        raise TensorInvalid(field, f"expected a list of at most {_MAX_DIMS} non-negative integers")
    return tuple(shape)


def _short(value) -> str:
    """A short description of a JSON value that never recurses into it."""
    if isinstance(value, (list, dict)):
        return f"a {'list' if isinstance(value, list) else 'object'} of {len(value)}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _flatten(data, field: str) -> list:
    """Nested lists -> one flat list, iteratively (a deeply nested body cannot blow the stack)."""
    if not isinstance(data, list):
        raise TensorInvalid(field, f"expected a list, got {_short(data)}")
    if not data or not isinstance(data[0], list):
        return data
    flat, stack = [], [iter(data)]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list):
            if len(stack) >= _MAX_DIMS:
                raise TensorInvalid(field, f"nested deeper than {_MAX_DIMS} levels")
            stack.append(iter(item))
        else:
            flat.append(item)
    return flat


_END = object()


def decode_json(
    datatype: str, shape: tuple[int, ...], data, field: str, may_hold_bools: bool = True
) -> np.ndarray:
    """A tensor's JSON `data` -> array of `shape` in the datatype's dtype, strictly typed.

    `may_hold_bools=False` (the caller saw no `true`/`false` in the body) lets a numeric
    tensor skip the per-value type walk: numpy's own conversion then finds strings, nulls and
    ragged rows, and the walk runs only to name the offending value."""
    count = math.prod(shape)
    if datatype == "BYTES":
        values = [_to_bytes(v, f"{field}[{j}]") for j, v in enumerate(_flatten(data, field))]
        _check_count(len(values), shape, field)
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    if datatype == "BOOL":
        values = _flatten(data, field)
        for j, v in enumerate(values):
            if type(v) is not bool:
                raise TensorInvalid(f"{field}[{j}]", f"expected true or false, got {_short(v)}")
        _check_count(len(values), shape, field)
        return np.array(values, dtype=np.bool_).reshape(shape)
    array = None
    if not may_hold_bools:
        try:
            array = np.array(data)
        except (ValueError, OverflowError):
            array = None
        ok_kinds = "iu" if datatype in INTEGER else "iuf"
        if array is not None and (array.dtype.kind not in ok_kinds or array.size != count):
            array = None
    if array is None:
        values = _flatten(data, field)
        for j, v in enumerate(values):
            if type(v) is not int and type(v) is not float:  # bool is not a number here, nor "1"
                raise TensorInvalid(f"{field}[{j}]", f"expected a number, got {_short(v)}")
        _check_count(len(values), shape, field)
        if datatype in INTEGER and all(type(v) is int for v in values):
            return _exact_integers(values, datatype, field).reshape(shape)
        try:
            array = np.array(values, dtype=np.float64)
        except OverflowError:
            j = next(j for j, v in enumerate(values) if type(v) is int and abs(v) > _FLOAT_MAX)
            raise TensorInvalid(f"{field}[{j}]", "integer past the float range") from None
    return cast_numbers(array.reshape(shape), datatype, field)


_FLOAT_MAX = float(np.finfo(np.float64).max)


def _exact_integers(values: list[int], datatype: str, field: str) -> np.ndarray:
    """Python ints -> the integer dtype without a detour through float (2**64 - 1 stays exact)."""
    info = np.iinfo(DTYPES[datatype])
    if values and (min(values) < info.min or max(values) > info.max):
        j = next(j for j, v in enumerate(values) if not info.min <= v <= info.max)
        raise TensorInvalid(
            f"{field}[{j}]", f"{values[j]} is outside {datatype} [{info.min}, {info.max}]"
        )
    return np.array(values, dtype=DTYPES[datatype])


def _check_count(n: int, shape, field: str) -> None:
    if n != math.prod(shape):
        raise TensorInvalid(
            f"{field}", f"holds {n} values but shape {list(shape)} needs {math.prod(shape)}"
        )


def cast_numbers(array: np.ndarray, datatype: str, field: str) -> np.ndarray:
    """Numbers -> the datatype's dtype; refuses fractions for integer types and out-of-range
    values (300 for INT8, -1 for UINT8, 1e39 for FP32). NaN/inf pass: the contract decides."""
    dtype = DTYPES[datatype]
    if array.dtype == dtype:
        return array
    if datatype in INTEGER:
        info = np.iinfo(dtype)
        if array.dtype.kind == "f":
            finite = np.isfinite(array)
            frac = ~finite | (np.mod(np.where(finite, array, 0), 1) != 0)
            if frac.any():
                j = int(np.argmax(frac.reshape(-1)))
                raise TensorInvalid(
                    f"{field}[{j}]", f"{array.reshape(-1)[j]!r} is not an integer ({datatype})"
                )
        flat = array.reshape(-1)
        bad = np.flatnonzero((flat < info.min) | (flat > info.max)).tolist()
        if bad:
            raise TensorInvalid(
                f"{field}[{bad[0]}]",
                f"{flat[bad[0]]} is outside {datatype} [{info.min}, {info.max}]",
            )
        return flat.astype(dtype).reshape(array.shape)
    finfo = np.finfo(dtype)
    with np.errstate(invalid="ignore"):
        over = np.isfinite(array) & (np.abs(array) > finfo.max)
    if over.any():
        j = int(np.argmax(over.reshape(-1)))
        raise TensorInvalid(
            f"{field}[{j}]", f"{array.reshape(-1)[j]:g} is outside the {datatype} range"
        )
    return array.astype(dtype)


def _to_bytes(value, field: str) -> bytes:
    if type(value) is str:
        return value.encode("utf-8")
    raise TensorInvalid(field, f"expected a string (BYTES), got {_short(value)}")


def decode_binary(
    datatype: str, shape: tuple[int, ...], raw: bytes | memoryview, field: str
) -> np.ndarray:
    """Raw tensor bytes (binary extension, gRPC raw contents) -> array of `shape`."""
    count = math.prod(shape)
    if datatype == "BYTES":
        values, offset, view = [], 0, memoryview(raw)
        while offset < len(view):
            if offset + 4 > len(view):
                raise TensorInvalid(
                    field, "BYTES element cut short: a 4-byte length prefix is incomplete", 400
                )
            (size,) = struct.unpack_from("<I", view, offset)
            offset += 4
            if offset + size > len(view):
                raise TensorInvalid(
                    field,
                    f"BYTES element {len(values)} says {size} bytes, {len(view) - offset} remain",
                    400,
                )
            values.append(bytes(view[offset : offset + size]))
            offset += size
        _check_count(len(values), shape, field)
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    dtype = DTYPES[datatype]
    if len(raw) != count * dtype.itemsize:
        raise TensorInvalid(
            field,
            f"{len(raw)} bytes of {datatype} but shape {list(shape)} needs "
            f"{count * dtype.itemsize}",
            400,
        )
    array = np.frombuffer(raw, dtype=dtype).reshape(shape)
    if datatype == "BOOL" and array.view(np.uint8).max(initial=0) > 1:
        raise TensorInvalid(field, "BOOL bytes must be 0 or 1", 400)
    return array


def encode_binary(array: np.ndarray) -> bytes:
    """An array -> raw little-endian bytes (BYTES: each element length-prefixed)."""
    if datatype_of(array) != "BYTES":
        return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    parts = []
    for value in array.reshape(-1).tolist():
        item = value if isinstance(value, bytes) else str(value).encode("utf-8")
        parts.append(struct.pack("<I", len(item)))
        parts.append(item)
    return b"".join(parts)


def json_data(array: np.ndarray) -> list:
    """An array -> its flat JSON `data` (BYTES as utf-8 strings where they decode)."""
    flat = array.reshape(-1)
    if datatype_of(array) != "BYTES":
        return flat.tolist()
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in flat.tolist()]
