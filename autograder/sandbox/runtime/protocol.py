"""The wire format between the grader and the child process that runs student code.

A message is an 8-byte little-endian header length, a JSON header, then the raw bytes of every array it
carries. Arrays travel as dtype, shape and bytes (numeric dtypes only: bool, int, uint, float); nothing
is pickled, so nothing the child sends can run code in the grader. A case's scalar function
(:class:`.functions.ScalarFunction`) travels as its kind and weights. Values the format cannot carry (an
object array, a student's own class) arrive as :class:`Opaque`, a description.
"""

from __future__ import annotations

import json
import math
import re
import struct
from dataclasses import dataclass

import numpy as np

from .functions import KINDS, ScalarFunction

__all__ = ["Opaque", "encode", "decode", "write_message", "read_message", "ProtocolError", "MAX_ARRAY_BYTES"]

#: Largest array either side will send or accept (a student's absurd allocation is refused, not copied).
MAX_ARRAY_BYTES = 256 * 2**20
_NUMERIC_KINDS = "buif"


class ProtocolError(Exception):
    """A malformed or oversized message."""


_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with control characters, text-direction overrides and lone surrogates written as escapes
    (a string of the child's may end up in a terminal, an XML file or a UTF-8 file, which those would
    garble or break)."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def one_line(text: str) -> str:
    """``text`` as part of one line of a log or a summary: :func:`printable`, with newlines written as
    ``\\n`` and runs of white space collapsed, so that what a student wrote (a file name, a message) can
    neither start a line of its own (one starting with ``::`` is a GitHub Actions workflow command) nor
    rewrite one."""
    return " ".join(printable(text).replace("\n", "\\n").replace("\t", " ").split())


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
    if type(value) is ScalarFunction:
        return {"$fn": value.kind, "weights": encode(value.weights, buffers)}
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


def decode(obj, buffers: list, _used: set | None = None) -> object:
    """Inverse of :func:`encode`. Each array buffer may be used once (a reply that names one buffer a
    million times would otherwise make the reader allocate a million copies)."""
    used = set() if _used is None else _used
    if isinstance(obj, list):
        return [decode(v, buffers, used) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "$nd" in obj:
        index = obj["$nd"]
        if type(index) is not int or not 0 <= index < len(buffers) or index in used:
            raise ProtocolError("an array refers to a missing or already used buffer")
        used.add(index)
        dtype = _numeric_dtype(obj.get("dtype"))
        shape = obj.get("shape")
        if not isinstance(shape, list) or len(shape) > 32 or not all(type(s) is int and s >= 0 for s in shape):
            raise ProtocolError("array shape malformed")
        raw = buffers[index]
        if len(raw) != dtype.itemsize * math.prod(shape):
            raise ProtocolError("array bytes do not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(tuple(shape)).copy()
    if "$np" in obj:
        dtype = _numeric_dtype(obj["$np"])
        value = obj.get("value")
        if type(value) not in (bool, int, float):
            raise ProtocolError("a numpy scalar without a plain number")
        try:
            return dtype.type(value)
        except (OverflowError, ValueError, TypeError):
            raise ProtocolError(f"{value!r:.40} is not a {dtype}") from None
    if "$float" in obj:
        if obj["$float"] not in ("nan", "inf", "-inf"):
            raise ProtocolError("a non-finite float that is none of nan, inf, -inf")
        return float(obj["$float"])
    if "$fn" in obj:
        weights = decode(obj.get("weights"), buffers, used)
        if obj["$fn"] not in KINDS or not isinstance(weights, np.ndarray) or weights.dtype != np.float64:
            raise ProtocolError("scalar function malformed")
        return ScalarFunction(obj["$fn"], weights)
    if "$tuple" in obj:
        items = obj["$tuple"]
        if not isinstance(items, list):
            raise ProtocolError("tuple malformed")
        return tuple(decode(v, buffers, used) for v in items)
    if "$dict" in obj:
        items = obj["$dict"]
        if not isinstance(items, dict):
            raise ProtocolError("dict malformed")
        return {str(k): decode(v, buffers, used) for k, v in items.items()}
    if "$opaque" in obj:
        shape = obj.get("shape")
        shape = tuple(shape)[:32] if isinstance(shape, list) else None
        dtype = obj.get("dtype")
        if shape is not None and not all(type(n) is int and 0 <= n < 2**63 for n in shape):
            shape = None
        return Opaque(printable(str(obj["$opaque"])[:100]), printable(str(obj.get("text", ""))[:200]),
                      printable(str(dtype)[:40]) if dtype is not None else None, shape)
    raise ProtocolError(f"unknown value {str(obj)[:80]}")


def _numeric_dtype(spec) -> np.dtype:
    if not isinstance(spec, str) or len(spec) > 8:
        raise ProtocolError("dtype malformed")
    try:
        dtype = np.dtype(spec)
    except TypeError:
        raise ProtocolError(f"dtype {spec!r} unknown") from None
    if dtype.kind not in _NUMERIC_KINDS:
        raise ProtocolError(f"array of dtype {dtype} refused")
    return dtype


def as_received(value) -> object:
    """``value`` as the grader receives it when a child sends it: what cannot travel (an object array, a
    student's class) arrives :class:`Opaque`. An in-process runner passes its results through this, so
    the grading core sees the same values whichever runner ran the code."""
    buffers: list[bytes] = []
    return decode(json.loads(json.dumps(encode(value, buffers))), buffers)


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
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise ProtocolError(f"malformed header: {str(exc)[:80]}") from None
    if not isinstance(body, dict) or not isinstance(sizes, list) or len(sizes) > 4096 \
            or not all(type(n) is int and 0 <= n <= MAX_ARRAY_BYTES for n in sizes):
        raise ProtocolError("malformed header: array sizes")
    if sum(sizes) > max_bytes:
        raise ProtocolError(f"{sum(sizes)} bytes of arrays refused (limit {max_bytes})")
    buffers = [_read_exact(stream, n) for n in sizes]
    used: set = set()
    try:
        return {key: decode(value, buffers, used) for key, value in body.items()}
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError, MemoryError) as exc:
        raise ProtocolError(f"malformed value ({type(exc).__name__})") from None
