"""What a function the student wrote looks like to the grader, in the sandbox and in the notebook alike:
its parameters (:func:`describe`), and whether it is still the release's empty stub.

nbgrader's solution regions become ``# YOUR CODE HERE`` in the student release (course/nbgrader_config.py),
so an untouched exercise is a function whose body is only its docstring: it returns None. Telling that apart
from a wrong answer lets every check say "not implemented yet" instead of "returned None".
"""

from __future__ import annotations

import dis
import inspect
import traceback

__all__ = ["describe", "describe_error", "fresh", "is_stub", "not_started", "UNANSWERED"]

#: What the student release assigns to a by-hand answer before the student writes one: ``output_00 = ...``.
UNANSWERED = Ellipsis

_IGNORED = {"RESUME", "NOP", "CACHE", "EXTENDED_ARG", "COPY_FREE_VARS", "MAKE_CELL"}


def is_stub(fn) -> bool:
    """Whether ``fn`` does nothing but return None (a body of docstring, comments, ``pass`` or ``...``).

    Reads the byte code, so it works without the source (functions defined in a notebook cell, in a
    sandboxed child). Anything that is not a plain Python function is not a stub.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    ops = [(i.opname, i.argval) for i in dis.get_instructions(code) if i.opname not in _IGNORED]
    return ops in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


def not_started(fn, value) -> dict | None:
    """The error to report for a call of ``fn`` that returned ``value``, when ``fn`` is an untouched stub
    (None otherwise): the same "not implemented yet" in the sandbox and in the notebook."""
    if value is None and is_stub(fn):
        return {"type": "NotImplementedError", "message": "the body is still empty"}
    return None


def describe(obj) -> dict:
    """``{"kind": "function", "params": [positional names], "varargs": bool}`` for a callable, else
    ``{"kind": "value", "type": ...}``: what the grader needs to know before calling it."""
    if callable(obj):
        try:
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            return {"kind": "function", "params": [], "varargs": True}
        params = [p.name for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        varargs = any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values())
        return {"kind": "function", "params": params, "varargs": varargs}
    return {"kind": "value", "type": type(obj).__name__}


def fresh(value):
    """``value`` with its strings rebuilt (in tuples and lists too), so that ``padding is 'same'`` fails
    on a case's arguments as it does in real programs, whoever calls the function."""
    if type(value) is str:
        return "".join(list(value))
    if type(value) is tuple:
        return tuple(fresh(v) for v in value)
    if type(value) is list:
        return [fresh(v) for v in value]
    return value


def describe_error(exc: BaseException, is_student) -> dict:
    """``{"type", "message", "file", "line", "code"}`` of ``exc``: where is the last frame of student code
    it passed through (``is_student(filename)``), the message cut to 500 characters."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if is_student(f.filename)]
    where = frames[-1] if frames else None
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a student's exception may fail to print
        message = "<unprintable>"
    return {"type": type(exc).__name__, "message": message[:500],
            "file": where.filename if where else None, "line": where.lineno if where else None,
            "code": (where.line or "")[:200] if where else None}
