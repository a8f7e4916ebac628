"""The wire format between the grader and the child process that runs student code.

A message is an 8-byte little-endian header length, a JSON header, then the raw bytes of every array it
carries. Arrays travel as dtype, shape and bytes (numeric dtypes only: bool, int, uint, float); nothing
is pickled, so nothing the child sends can run code in the grader. Values the format cannot carry (an
object array, a student's own class) arrive as :class:`Opaque`, a description.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass

import numpy as np

__all__ = ["Opaque", "encode", "decode", "write_message", "read_message", "ProtocolError", "MAX_ARRAY_BYTES"]

#: Largest array either side will send or accept (a student's absurd allocation is refused, not copied).
MAX_ARRAY_BYTES = 256 * 2**20
_NUMERIC_KINDS = "buif"


class ProtocolError(Exception):
    """A malformed or oversized message."""


@dataclass(frozen=True)
class Opaque:
    """A value that cannot cross as data: its type, a short repr, and for arrays their dtype and shape."""

    type_name: str
    text: str
    dtype: str | None = None
    shape: tuple | None = None

    def describe(self) -> str:
        if self.dtype is not None:
            return f"an ndarray of dtype {self.dtype} and shape {self.shape}"
        return f"{self.type_name} {self.text}"


def _opaque(value) -> dict:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a student's __repr__ may raise
        text = "<unprintable>"
    return {"$opaque": type(value).__name__, "text": text[:200]}


def encode(value, buffers: list) -> object:
    """JSON-able form of ``value``; array bytes are appended to ``buffers``."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _NUMERIC_KINDS:
            return {"$opaque": "ndarray", "text": "", "dtype": str(value.dtype), "shape": list(value.shape)}
        if value.nbytes > MAX_ARRAY_BYTES:
            return {"$opaque": "ndarray", "text": f"too large ({value.nbytes} bytes)", "dtype": str(value.dtype),
                    "shape": list(value.shape)}
        data = np.ascontiguousarray(value)
        buffers.append(data.tobytes())
        return {"$nd": len(buffers) - 1, "dtype": data.dtype.str, "shape": list(data.shape)}
    if isinstance(value, np.generic):
        if value.dtype.kind in _NUMERIC_KINDS:
            return {"$np": value.dtype.str, "value": encode(value.item(), buffers)}
        return _opaque(value)
    if value is None or isinstance(value, (bool, int, str)) and type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if type(value) is tuple:
        return {"$tuple": [encode(v, buffers) for v in value]}
    if type(value) is list:
        return [encode(v, buffers) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {"$dict": {k: encode(v, buffers) for k, v in value.items()}}
    return _opaque(value)


def decode(obj, buffers: list) -> object:
    """Inverse of :func:`encode`."""
    if isinstance(obj, list):
        return [decode(v, buffers) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "$nd" in obj:
        dtype = np.dtype(obj["dtype"])
        if dtype.kind not in _NUMERIC_KINDS:
            raise ProtocolError(f"array of dtype {dtype} refused")
        shape = tuple(int(s) for s in obj["shape"])
        raw = buffers[obj["$nd"]]
        if len(raw) != dtype.itemsize * math.prod(shape):
            raise ProtocolError("array bytes do not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if "$np" in obj:
        return np.dtype(obj["$np"]).type(decode(obj["value"], buffers))
    if "$float" in obj:
        return float(obj["$float"])
    if "$tuple" in obj:
        return tuple(decode(v, buffers) for v in obj["$tuple"])
    if "$dict" in obj:
        return {str(k): decode(v, buffers) for k, v in obj["$dict"].items()}
    if "$opaque" in obj:
        shape = tuple(obj["shape"]) if obj.get("shape") is not None else None
        return Opaque(obj["$opaque"], obj.get("text", ""), obj.get("dtype"), shape)
    raise ProtocolError(f"unknown value {str(obj)[:80]}")


def write_message(stream, message: dict) -> None:
    """Send ``message`` (a dict whose values may hold arrays) on a binary stream."""
    buffers: list[bytes] = []
    body = {key: encode(value, buffers) for key, value in message.items()}
    body["$buffers"] = [len(b) for b in buffers]
    header = json.dumps(body).encode()
    stream.write(struct.pack("<Q", len(header)))
    stream.write(header)
    for b in buffers:
        stream.write(b)
    stream.flush()


def _read_exact(stream, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_message(stream, max_bytes: int = 4 * MAX_ARRAY_BYTES) -> dict:
    """Receive one message; raise :class:`ProtocolError` when it is malformed or too large."""
    (size,) = struct.unpack("<Q", _read_exact(stream, 8))
    if size > 2**26:
        raise ProtocolError(f"header of {size} bytes refused")
    try:
        body = json.loads(_read_exact(stream, size))
        sizes = body.pop("$buffers")
    except (ValueError, KeyError, TypeError) as exc:
        raise ProtocolError(f"malformed header: {exc}") from None
    if sum(sizes) > max_bytes:
        raise ProtocolError(f"{sum(sizes)} bytes of arrays refused (limit {max_bytes})")
    buffers = [_read_exact(stream, int(n)) for n in sizes]
    return {key: decode(value, buffers) for key, value in body.items()}
