"""The child process that runs student code, started by :mod:`autograder.sandbox.runner` inside the sandbox.

It reads requests from the grader on standard input and answers on a private copy of standard output;
the student's own printing goes to a capture file. It cannot import the reference (the sandbox does not
hold it), and the grader never sends it an expected answer: it only runs what it is asked and reports
what came back. Its limits (rlimits, cgroup) were set before it started, by the grader.

Requests (see :mod:`.protocol`): ``load`` the sources, ``call`` a function with arguments, ``map_shared``
(map the input file of timed calls), ``call_shared`` (timed calls whose arrays travel in that file and
this process's memory), ``get`` a variable, ``exit``.
"""

from __future__ import annotations

import os
import sys
import tempfile

from .memory import steady_allocator
from .protocol import read_message, write_message
from .stubs import describe, describe_error, fresh, not_started

_namespaces: list[tuple[str, dict]] = []
_ALLOWED: set[str] = set()   # sent by the grader in the load request (exercises.policy.ALLOWED_IMPORTS)
_imports: list[dict] = []
_labels: set[str] = set()
_own: set[str] = set()


def _student_frame(frame):
    """The frame that asked for the import, if it is in a student source (imports that the import machinery
    or a library makes while loading a module are not the student's)."""
    while frame is not None:
        name = frame.f_code.co_filename
        # the runtime's own frames, and code the student built at run time (exec of a string), which
        # answers for the student frame that ran it
        if name == __file__ or (name.startswith("<") and not name.startswith("<frozen")):
            frame = frame.f_back
            continue
        break
    return frame if frame is not None and frame.f_code.co_filename in _labels else None


def _record(name: str, frame) -> None:
    root = str(name).split(".")[0]
    if root in _ALLOWED or root in _own or not _labels:
        return
    student = _student_frame(frame)
    if student is not None:
        _imports.append({"module": str(name), "file": student.f_code.co_filename, "line": student.f_lineno})


def _guard_imports() -> None:
    """Record the modules student code imports at run time: ``import`` statements, ``__import__(name)`` with
    a name built at run time, ``importlib.import_module``. (Code that digs the import machinery out of
    importlib's internals can still bypass this; the static rule and the sandbox's limits still hold.)"""
    import builtins
    import importlib

    original, original_module = builtins.__import__, importlib.import_module

    def guarded(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0:
            _record(name, sys._getframe(1))
        return original(name, globals, locals, fromlist, level)

    def guarded_module(name, package=None):
        _record(name, sys._getframe(1))
        return original_module(name, package)

    builtins.__import__ = guarded
    importlib.import_module = guarded_module


def _lookup(name: str):
    for _, ns in reversed(_namespaces):
        if name in ns:
            return ns[name]
    raise KeyError(name)


def _error(exc: BaseException, labels: set[str]) -> dict:
    error = describe_error(exc, lambda filename: filename in labels)
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    if isinstance(missing, str) and missing.split(".")[0] not in _ALLOWED | _own:
        error["message"] = (f"No module named {missing!r}: the grader runs your code with only the standard "
                            f"library and {', '.join(sorted(_ALLOWED))} installed, the modules you may use")
    return error


class _NoShell:
    """What ``get_ipython()`` returns to a notebook's cells here: the grader turned their magics and shell
    escapes into calls on it (IPython's transformer), and none of them does anything when graded."""

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, *args, **kwargs):
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []


def _chunks(text: str, starts: list[int]) -> list[str]:
    """A notebook's cells one by one (``starts``: the first line of each), as Jupyter runs them: a cell that
    raises costs what it defines, not the cells after it. Each chunk keeps its line numbers. A file is one
    chunk."""
    if not starts:
        return [text]
    lines = text.splitlines(keepends=True)
    bounds = list(starts) + [len(lines) + 1]
    return ["\n" * (a - 1) + "".join(lines[a - 1:b - 1]) for a, b in zip(bounds, bounds[1:])]


def _progress(path, label: str, chunk: int) -> None:
    """Note which part of the sources runs now, so that the grader can say where loading ended when the
    process dies in it (``os._exit`` at the top of a file). Only ever read as a hint for that message."""
    if not path:
        return
    try:
        with open(path, "w") as fh:
            fh.write(f"{label}\t{chunk}")
    except OSError:
        pass


def _load(msg: dict) -> dict:
    errors = []
    labels = _labels
    _ALLOWED.update(msg.get("allowed", ()))
    for label, text, path, starts in msg["sources"]:
        labels.add(label)
        _own.add(os.path.splitext(os.path.basename(path))[0])
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in sys.path:
            sys.path.insert(0, folder)
        ns = {"__name__": "submission", "__file__": path, "__builtins__": __builtins__}
        if starts:
            shell = _NoShell()
            ns["get_ipython"] = lambda: shell
        _namespaces.append((label, ns))
        for number, chunk in enumerate(_chunks(text, starts)):
            _progress(msg.get("progress"), label, number)
            try:
                exec(compile(chunk, label, "exec"), ns)  # noqa: S102 - running student code is this process's job
            except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
                errors.append(dict(_error(exc, labels), source=label))
    found = {}
    for name in msg["names"]:
        try:
            found[name] = describe(_lookup(name))
        except KeyError:
            pass
    return {"ok": True, "errors": errors, "found": found}


def _call(msg: dict, labels: set[str]) -> dict:
    try:
        fn = _lookup(msg["name"])
    except KeyError:
        return {"ok": False, "error": {"type": "NameError", "message": f"{msg['name']} is not defined"}}
    args = [fresh(a) for a in msg["args"]]
    try:
        result = fn(*args)
    except BaseException as exc:  # noqa: BLE001
        return {"ok": False, "error": _error(exc, labels)}
    if (stub := not_started(fn, result)) is not None:
        return {"ok": False, "error": stub}
    return {"ok": True, "result": result, "args_after": tuple(args)}


#: The input file of timed calls, mapped once (``map_shared``) and reused by every ``call_shared``.
_exchange: dict = {}

#: The last timed request's answers, alive until the next one: the grader reads them from this process's
#: memory (process_vm_readv) after the reply.
_kept: list = []

#: madvise(MADV_POPULATE_WRITE), Linux 5.14: map every page of a mapping now, one call, no fault each.
_POPULATE_WRITE = 23


def _map_shared(msg: dict) -> dict:
    """Map the grader's input file for the timed calls that follow, and map every page of it now.

    This request is not timed. Mapping once and reusing the pages is what takes every cost around the calls
    out of the timed requests: no mmap, page fault or munmap is left in them for student code to skip, defer
    or do more cheaply than the trusted baseline (golden attack-own-request-loop, attack-skip-populate). A
    submission that undoes the population here pays the faults in its own timed calls.
    """
    import mmap

    for old in _exchange.values():
        try:
            old.close()
        except BufferError:   # the student kept a view of it: dropped, not closed
            pass
    _exchange.clear()
    try:
        with open(msg["in"], "r+b") as fh:
            view = mmap.mmap(fh.fileno(), 0, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    except (OSError, ValueError) as exc:
        return {"ok": False, "error": {"type": "ProtocolError", "message": f"cannot map the inputs: {exc}"}}
    try:
        view.madvise(_POPULATE_WRITE)
    except (OSError, ValueError):   # an older kernel: a read in each page instead
        for at in range(0, len(view), mmap.PAGESIZE):
            view[at]
    _exchange["in"] = view
    return {"ok": True}


def _call_shared(msg: dict, labels: set[str]) -> dict:
    """Timed calls whose arrays travel through the input file and this process's memory instead of the
    pipe (see autograder/timing/measure.py and :func:`_map_shared`).

    ``msg['calls']`` lists argument lists; array arguments are plain ndarrays over the input file's
    (writable, shared) mapping, which the grader writes afresh before every request, so the student may
    scribble on them. Each answer stays where the function put it (made contiguous if it is not) and only its
    address, shape and dtype come back: the grader reads the bytes itself, so no copy of them is in the
    request, for student code to skip (golden attack-own-request-loop). Several calls per request spread the
    cost of the request itself thin.
    """
    import numpy as np

    _kept.clear()
    if "in" not in _exchange:
        return {"ok": False, "error": {"type": "ProtocolError", "message": "no input file is mapped"}}
    src = _exchange["in"]
    fn = _lookup(msg["name"])
    results = []
    for call in msg["calls"]:
        args = []
        for a in call:
            if isinstance(a, dict) and "$shared" in a:
                off, dtype, shape = a["$shared"]
                args.append(np.ndarray(tuple(shape), dtype=np.dtype(dtype), buffer=src, offset=int(off)))
            else:
                args.append(fresh(a))
        try:
            result = fn(*args)
        except BaseException as exc:  # noqa: BLE001
            return {"ok": False, "error": _error(exc, labels)}
        # one array, or a tuple of them (a function with several results)
        parts = result if type(result) is tuple and 0 < len(result) <= 8 else (result,)
        if not all(isinstance(p, np.ndarray) and p.dtype.kind in "buif" for p in parts):
            return {"ok": True, "result": result}
        metas = []
        for p in parts:
            p = np.ascontiguousarray(p)
            _kept.append(p)
            metas.append({"dtype": p.dtype.str, "shape": list(p.shape), "at": p.__array_interface__["data"][0]})
        results.append(metas[0] if type(result) is not tuple else {"parts": metas})
    return {"ok": True, "shared_results": results}


def _die_with_parent() -> None:
    """Ask Linux to kill this child when the grader that started it dies (even by SIGKILL), so that a
    killed class run leaves no student code running."""
    import ctypes
    import signal

    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:   # the grader died before prctl took effect
        os._exit(1)


def main() -> int:
    _die_with_parent()
    steady_allocator()   # the same allocator policy as the grader's side of every timing comparison
    _guard_imports()
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    capture = tempfile.TemporaryFile()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(capture.fileno(), 1)
    os.dup2(capture.fileno(), 2)
    labels: set[str] = set()
    while True:
        try:
            msg = read_message(proto_in)
        except EOFError:
            return 0
        op = msg.get("op")
        if op == "load":
            labels = {source[0] for source in msg["sources"]}
            reply = _load(msg)
        elif op == "call":
            reply = _call(msg, labels)
        elif op == "map_shared":
            reply = _map_shared(msg)
        elif op == "call_shared":
            reply = _call_shared(msg, labels)
        elif op == "get":
            try:
                reply = {"ok": True, "result": _lookup(msg["name"])}
            except KeyError:
                reply = {"ok": False, "error": {"type": "NameError", "message": f"{msg['name']} is not defined"}}
        elif op == "exit":
            return 0
        else:
            reply = {"ok": False, "error": {"type": "ProtocolError", "message": f"unknown op {op!r}"}}
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):   # the output limit was reached: the rest is dropped
                pass
        reply["printed"] = capture.tell()
        reply["imports"] = list(_imports)
        _imports.clear()
        try:
            write_message(proto_out, reply)
        except Exception as exc:  # noqa: BLE001 - a result that cannot be described still gets an answer
            write_message(proto_out, {"ok": False, "error": {"type": "ProtocolError",
                                                             "message": f"the result could not be sent: {exc}"}})


if __name__ == "__main__":
    sys.exit(main())
