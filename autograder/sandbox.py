"""Run a submission's code in a child process and ask it for calls, never in the grader's own process.

:class:`Runner` starts ``python -m autograder.child`` in its own session with every thread pool pinned
to one thread, loads the sources, and sends one request at a time. A request that does not answer within
its time limit, or a child that dies (``os._exit``, a segfault), costs that request only: the child is
killed with its whole process group and a fresh one is started for the next request.

Every child runs under :class:`~.limits.Limits` (CPU, memory, processes, output) applied by the child
before it loads any student code, inside a :class:`~.limits.Containment` that the grader uses to kill
every process the submission started, including ones that left the process group or the session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np


from .limits import Containment, Limits
from .protocol import ProtocolError, read_message, write_message
from .reference.threads import single_thread_env
from .submission import Submission

__all__ = ["Outcome", "Runner"]


@dataclass
class Outcome:
    """What one request returned: ``ok`` with ``value``, or ``error`` (a dict: type, message, line...)."""

    ok: bool
    value: object = None
    error: dict | None = None
    args_after: tuple = ()
    extra: dict = field(default_factory=dict)


@contextmanager
def shared_arrays(calls: list[tuple], slot: int):
    """Put the array arguments of several calls in a shared file (in ``/dev/shm`` where it exists).

    Yields the ``call_shared`` request and a function that reads answer ``i`` back from the output file
    as plain bytes, with the dtype and shape the child reported, checked against its slot. Both files are
    removed afterwards.
    """
    folder = "/dev/shm" if os.path.isdir("/dev/shm") else None
    slot = max(int(slot), 8)
    with tempfile.NamedTemporaryFile(dir=folder, prefix="convcourse-in-") as fin, \
            tempfile.NamedTemporaryFile(dir=folder, prefix="convcourse-out-") as fout:
        encoded_calls, offset = [], 0
        for args in calls:
            encoded = []
            for a in args:
                if isinstance(a, np.ndarray):
                    data = np.ascontiguousarray(a)
                    fin.write(data.tobytes())
                    encoded.append({"$shared": [offset, data.dtype.str, list(data.shape)]})
                    offset += data.nbytes
                    pad = -offset % 64  # keep every array 64-byte aligned, as numpy allocates them
                    fin.write(b"\0" * pad)
                    offset += pad
                else:
                    encoded.append(a)
            encoded_calls.append(encoded)
        fin.write(b"\0")  # never empty: an empty file cannot be mapped
        fin.flush()
        fout.truncate(slot * len(calls))
        fout.flush()

        def read_result(i: int, meta: dict):
            dtype = np.dtype(meta["dtype"])
            if dtype.kind not in "buif":
                raise ProtocolError(f"result dtype {dtype} refused")
            shape = tuple(int(v) for v in meta["shape"])
            n = dtype.itemsize * int(np.prod(shape))
            if n > slot:
                raise ProtocolError("result larger than its slot")
            with open(fout.name, "rb") as fh:
                fh.seek(i * slot)
                return np.frombuffer(fh.read(n), dtype=dtype).reshape(shape).copy()

        yield {"op": "call_shared", "path": fin.name, "out_path": fout.name, "calls": encoded_calls,
               "slot": slot}, read_result


class Runner:
    """A child process holding one submission's code.

    Parameters
    ----------
    submission : Submission
    names : iterable of str
        Catalogue names to look for after loading.
    timeout : float, optional
        Seconds a request may take (loading included); overrides ``limits.call_seconds``.
    limits : Limits, optional
    """

    def __init__(self, submission: Submission, names, timeout: float | None = None, limits: Limits | None = None):
        self.submission = submission
        self.names = list(names)
        self.limits = limits or Limits()
        self.timeout = timeout if timeout is not None else self.limits.call_seconds
        self.proc: subprocess.Popen | None = None
        self.containment: Containment | None = None
        self.runtime_imports: list[dict] = []
        self.load_errors: list[dict] = []
        self.found: dict[str, dict] = {}
        self.loaded = False

    # -------------------------------------------------------------- lifecycle
    def _spawn(self) -> None:
        self.containment = Containment(self.limits)
        env = single_thread_env()
        env.update(self.limits.to_env())
        env.update(self.containment.env)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env, start_new_session=True,
        )
        self.containment.add(self.proc.pid)

    def start(self) -> Outcome:
        """Start a child and load the sources; returns the load outcome (``found`` and ``errors``)."""
        self.close()
        self._spawn()
        sources = [(s.label, s.text, s.path) for s in self.submission.sources if s.syntax_error is None]
        out = self._request({"op": "load", "sources": sources, "names": self.names})
        if out.ok:
            self.load_errors = out.extra.get("errors", [])
            self.found = out.extra.get("found", {})
            self.loaded = True
        return out

    def close(self) -> None:
        """Kill the child and everything it started; remove its cgroups."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.containment is not None:
            self.containment.close()
            self.containment = None
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.proc = None

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -------------------------------------------------------------- requests
    def _request(self, message: dict) -> Outcome:
        proc = self.proc
        box: dict = {}

        def exchange():
            try:
                write_message(proc.stdin, message)
                box["reply"] = read_message(proc.stdout)
            except (EOFError, BrokenPipeError, OSError) as exc:
                box["died"] = exc
            except ProtocolError as exc:
                box["bad"] = exc

        worker = threading.Thread(target=exchange, daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            self.close()
            worker.join(5)
            return Outcome(False, error={"type": "Timeout", "message": f"did not return within {self.timeout:g} s"})
        if "reply" not in box:
            code = None
            if "died" in box:
                try:  # the pipe can close a moment before the process has finished exiting
                    code = proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass
            self.close()
            if "bad" in box:
                return Outcome(False, error={"type": "ProtocolError", "message": str(box["bad"])})
            return Outcome(False, error={"type": "ProcessDied", "message": self._death(code)})
        reply = box["reply"]
        self.runtime_imports.extend(reply.get("imports") or [])
        if not reply.get("ok"):
            return Outcome(False, error=reply.get("error") or {"type": "Error", "message": "failed"})
        return Outcome(True, value=reply.get("result"), args_after=tuple(reply.get("args_after") or ()),
                       extra=reply)

    def _death(self, code: int | None) -> str:
        if code is None or code >= 0:
            return f"the process running it ended (exit status {code})"
        sig = -code
        why = {signal.SIGXFSZ: f"it printed or wrote more than {self.limits.output_bytes // 2**20} MiB",
               signal.SIGXCPU: f"it used more than {self.limits.cpu_seconds} s of CPU",
               signal.SIGKILL: "it was killed (out of memory, or the process limit)",
               signal.SIGSEGV: "it crashed (segmentation fault)"}.get(sig)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        return f"the process running it died of {name}" + (f": {why}" if why else "")

    def _ensure(self) -> Outcome | None:
        if self.proc is None or self.proc.poll() is not None:
            out = self.start()
            if not out.ok:
                return out
        return None

    def call(self, name: str, args: tuple) -> Outcome:
        """Call the student's ``name(*args)`` in the child."""
        failed = self._ensure()
        if failed:
            return failed
        return self._request({"op": "call", "name": name, "args": tuple(args)})

    def timed_calls(self, name: str, calls: list[tuple], slot: int) -> tuple[list[Outcome] | Outcome, float, str]:
        """Run ``name`` on every argument tuple of ``calls`` in one request, measured from outside the child.

        Returns ``(outcomes, seconds for the whole request, clock)``, or ``(failure, ...)`` when a call
        raised. The clock is the kernel's CPU count for the child's cgroup (``cpuacct``: every thread and
        process the submission runs) where there is one, else the grader's wall clock around the request.
        Either way the child cannot fake it.
        """
        failed = self._ensure()
        if failed:
            return failed, 0.0, "none"
        with shared_arrays(calls, slot) as (message, read_result):
            message["name"] = name
            cpu0 = self.containment.cpu_ns() if self.containment else None
            t0 = time.perf_counter()
            out = self._request(message)
            wall = time.perf_counter() - t0
            self._wait_until_idle()
            cpu1 = self.containment.cpu_ns() if self.containment else None
            if out.ok and "shared_results" in out.extra:
                result = [Outcome(True, value=read_result(i, meta)) for i, meta in enumerate(out.extra["shared_results"])]
            else:
                result = out
        if cpu0 is not None and cpu1 is not None:
            return result, (cpu1 - cpu0) / 1e9, "cpu"
        return result, wall, "wall"

    def _wait_until_idle(self, limit: float = 0.05) -> None:
        """Wait (briefly) until the child is asleep on its next read: the kernel charges a task's CPU time
        to its cgroup when it stops running, so reading ``cpuacct`` while it is still on the CPU misses
        the end of its slice (up to a scheduler tick, milliseconds)."""
        if self.proc is None:
            return
        deadline = time.perf_counter() + limit
        path = f"/proc/{self.proc.pid}/stat"
        while time.perf_counter() < deadline:
            try:
                with open(path) as fh:
                    state = fh.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                return
            if state != "R":
                return
            time.sleep(0)

    def get(self, name: str) -> Outcome:
        """Read the student's variable ``name``."""
        failed = self._ensure()
        if failed:
            return failed
        return self._request({"op": "get", "name": name})
