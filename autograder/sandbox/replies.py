"""The grader's reading of what a child replies: nothing in a reply is trusted (SPEC §4).

Student code shares the child's interpreter and can replace any function of the child's runtime, so a
reply may hold anything the wire format can carry. Each field the grader uses is checked here against
the shape it must have and cut to a size; what does not fit is a :class:`~.runtime.protocol.ProtocolError`
that costs the request it answered, never the grader.
"""

from __future__ import annotations

import re

from dataclasses import dataclass

from .runtime.protocol import ProtocolError, printable

__all__ = ["ErrorRecord", "clean_error", "clean_imports", "clean_found", "clean_load_errors", "clean_shared_results",
           "text", "MAX_TEXT"]

#: The longest string of the child's that any result quotes.
MAX_TEXT = 500


def text(value, limit: int = MAX_TEXT) -> str:
    """``value`` as a printable string (:func:`~.runtime.protocol.printable`) of at most ``limit``
    characters of the original, marked where it was cut."""
    s = value if isinstance(value, str) else repr(value) if value is not None else ""
    return printable(s) if len(s) <= limit else printable(s[:limit]) + f"... [{len(s) - limit} more characters cut]"


def _line(value) -> int | None:
    return value if type(value) is int and 0 <= value < 10**9 else None


@dataclass(frozen=True)
class ErrorRecord:
    """What went wrong in one request: the exception's ``type`` and ``message`` and where in student code
    (``file``, ``line``, that line's ``code``; ``source``: the file that was loading), or the grader's own
    (``Timeout``, ``BudgetSpent``, ``ProcessDied``, ``GraderLimit``, with ``Outcome.by_grader``). Every string is printable
    and cut to size."""

    type: str
    message: str = ""
    line: int | None = None
    code: str | None = None
    file: str | None = None
    source: str | None = None


#: What an exception's type name may look like (``ValueError``, ``numpy.linalg.LinAlgError``): a student's
#: class named "E\n  bob  0/141" would otherwise carry a line of its own into every message that quotes it.
_TYPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def clean_error(error) -> ErrorRecord:
    """The :class:`ErrorRecord` of an error description a child sent (a dict), whatever it holds."""
    if not isinstance(error, dict):
        return ErrorRecord("ProtocolError", f"the child sent an error that is not a description: {text(error, 80)}")
    fields = {key: text(error[key], 200) for key in ("file", "code", "source") if error.get(key) is not None}
    raw = error.get("type") or "Error"
    # a class name is an identifier (a long one is quoted cut to size); anything else is a forged one
    kind = text(raw, 100) if isinstance(raw, str) and _TYPE_NAME.fullmatch(raw) else "Error"
    return ErrorRecord(kind, text(error.get("message", "")),
                       line=_line(error.get("line")), **fields)


def clean_imports(imports) -> list[dict]:
    if not isinstance(imports, list):
        return []
    return [{"module": text(i.get("module"), 100), "file": text(i.get("file"), 200), "line": _line(i.get("line"))}
            for i in imports[:100] if isinstance(i, dict)]


def clean_found(found, names) -> dict[str, dict]:
    """What the load found, for the names asked about only."""
    if not isinstance(found, dict):
        return {}
    out = {}
    for name in names:
        info = found.get(name)
        if not isinstance(info, dict):
            continue
        params = info.get("params")
        params = [p for p in params if isinstance(p, str) and p.isidentifier() and len(p) <= 60][:32] \
            if isinstance(params, list) else []
        out[name] = {"kind": "function" if info.get("kind") == "function" else "value",
                     "params": params, "varargs": info.get("varargs") is True}
    return out


def clean_load_errors(errors) -> list[ErrorRecord]:
    return [clean_error(e) for e in errors[:50]] if isinstance(errors, list) else []


def clean_shared_results(meta, count: int, slot: int) -> list:
    """Where each timed answer lies in the child's memory: ``(dtype, shape, bytes, address)`` for a numeric
    array, or a list of those for a tuple of arrays; each answer's bytes (its parts' rounded up to 64) must
    fit ``slot``, twice the right answer's."""
    if not isinstance(meta, list) or len(meta) != count:
        raise ProtocolError(f"the child described {len(meta) if isinstance(meta, list) else 'no'} answers for {count} calls")
    out = []
    for m in meta:
        if isinstance(m, dict) and "parts" in m:
            parts = m["parts"]
            if not isinstance(parts, list) or not 0 < len(parts) <= 8:
                raise ProtocolError("a timed answer's parts are malformed")
            described = [_shared_part(p, slot) for p in parts]
            if sum(-(-n // 64) * 64 for _, _, n, _ in described) > slot:
                raise ProtocolError("a timed answer is larger than its slot")
            out.append(described)
        else:
            out.append(_shared_part(m, slot))
    return out


def _shared_part(m, slot: int) -> tuple[str, tuple[int, ...], int, int]:
    import numpy as np

    try:
        dtype = np.dtype(m["dtype"]) if isinstance(m["dtype"], str) and len(m["dtype"]) < 8 else None
        shape = tuple(m["shape"])
        at = m["at"]
    except (KeyError, TypeError, ValueError):
        raise ProtocolError("a timed answer's description is malformed") from None
    if type(at) is not int or not 0 <= at < 2**63:
        raise ProtocolError("a timed answer's address is malformed")
    if dtype is None or dtype.kind not in "buif" or dtype.hasobject:
        raise ProtocolError("a timed answer is not a numeric array")
    if not dtype.isnative:   # e.g. a big-endian long double: numpy cannot even expose its buffer (golden
        raise ProtocolError("a timed answer is not in this machine's byte order")   # attack-foreign-dtype)
    if len(shape) > 8 or not all(type(s) is int and 0 <= s <= slot for s in shape):
        raise ProtocolError("a timed answer's shape is malformed")
    n = dtype.itemsize
    for s in shape:
        n *= s
    if n > slot:
        raise ProtocolError("a timed answer is larger than its slot")
    return dtype.str, shape, n, at
