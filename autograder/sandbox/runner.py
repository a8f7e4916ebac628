"""Run a submission's code in a sandboxed child process and ask it for calls, never in the grader's own.

:class:`Runner` starts the child (:mod:`.runtime.child`) under the machine's :class:`~.isolation.Plan`
(bubblewrap where it runs), gives it a private copy of the sources, and sends one request at a time. A
request that does not answer within its time limit, or a child that dies (``os._exit``, a segfault),
costs that request only: the child is killed with everything it started and a fresh one is started for
the next request.

Every child runs under :class:`~.limits.Limits` (CPU, memory, processes, output) and inside a
:class:`~.limits.Containment`, both set up by the grader before the child's first instruction.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .isolation import Isolation, Plan, Policy, plan_for
from .limits import Containment, Limits, proc_stat
from .replies import (ErrorRecord, clean_error, clean_found, clean_imports, clean_load_errors,
                      clean_shared_results)
from .runtime.protocol import ProtocolError, read_message, write_message

if TYPE_CHECKING:   # the submission reader uses the runtime's printable(): no import at run time
    from ..grading.submission import Submission

__all__ = ["Outcome", "Runner"]

#: The most run-time import records a runner keeps for the whole submission.
MAX_RUNTIME_IMPORTS = 100

#: The input file grows in steps of this many bytes (each growth costs an untimed map request).
_EXCHANGE_QUANTUM = 4 * 2**20

#: The child's program: its runtime and numpy on the path, then the request loop.
_BOOT = "import sys; sys.path[:0] = {path!r}; from runtime.child import main; sys.exit(main())"


@dataclass
class Outcome:
    """What one request returned: ``ok`` with ``value``, or an :class:`~.replies.ErrorRecord`."""

    ok: bool
    value: object = None
    error: ErrorRecord | None = None
    args_after: tuple = ()
    extra: dict = field(default_factory=dict)
    by_grader: bool = False   # the error is the grader's (a time limit, a death), not one the child reported
    #: What of the course's own code (SPEC §2: the reference, the model answers) the request was seen to
    #: call, as sentences (the in-process runner watches calls; a sandbox holds no course code).
    reached: tuple[str, ...] = ()
    #: The imports student code made while the request ran (cleaned records: module, file, line).
    imports: tuple[dict, ...] = ()


@dataclass
class _Exchange:
    """The grader's side of a child's timed calls: its input file, the size the child has mapped, and the
    process whose memory holds the answers."""

    fd: int
    size: int = 0
    pid: int | None = None

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


class _IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.process_vm_readv.restype = ctypes.c_ssize_t
_LIBC.process_vm_readv.argtypes = [ctypes.c_int, ctypes.POINTER(_IOVec), ctypes.c_ulong,
                                   ctypes.POINTER(_IOVec), ctypes.c_ulong, ctypes.c_ulong]


def _read_memory(pid: int, address: int, into: np.ndarray) -> int:
    """Copy ``into.nbytes`` bytes at ``address`` of process ``pid`` into ``into``; the bytes copied, or
    minus the error number.

    The kernel checks the address against the process's own mappings: a bad one is an error, never a read
    of anything else. The grader needs the right to trace the child (root, or the child's own uid)."""
    local, remote = _IOVec(into.ctypes.data, into.nbytes), _IOVec(address, into.nbytes)
    got = _LIBC.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    return got if got >= 0 else -ctypes.get_errno()


class _CannotRead(ProtocolError):
    """The grader lacks the right to read the child's memory: its environment's limit, not the child's doing."""


def _runtime_process(top: int) -> int:
    """The pid of the child's runtime: the oldest process under ``top`` (bubblewrap, or the runtime itself)
    that is not bubblewrap. Processes that student code starts are younger; reading from the wrong one
    could only give its own wrong answers."""
    tree, found = {top}, []
    entries = []
    for entry in os.listdir("/proc"):
        fields = proc_stat(f"/proc/{entry}/stat") if entry.isdigit() else []
        if len(fields) > 19:   # the parent's pid and the start time (proc(5) fields 4 and 22)
            entries.append((int(entry), int(fields[1]), int(fields[19])))
    grew = True
    while grew:   # every descendant of top
        grew = False
        for pid, parent, _ in entries:
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    for pid, _, started in entries:
        if pid in tree:
            try:
                exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
            except OSError:
                continue
            if exe != "bwrap":
                found.append((started, pid))
    return min(found)[1] if found else top


def _lay_out(calls: list[tuple]) -> tuple[list[list], list, int]:
    """The ``call_shared`` form of ``calls`` (each array replaced by its place in the input file), the
    arrays' bytes in file order (no copy of a contiguous array), and the bytes they take."""
    encoded_calls, views, offset = [], [], 0
    for args in calls:
        encoded = []
        for a in args:
            if isinstance(a, np.ndarray):
                data = np.ascontiguousarray(a)
                views.append(memoryview(data).cast("B"))
                encoded.append({"$shared": [offset, data.dtype.str, list(data.shape)]})
                offset += data.nbytes
                pad = -offset % 64   # keep every array 64-byte aligned, as numpy allocates them
                if pad:
                    views.append(memoryview(bytes(pad)))
                offset += pad
            else:
                encoded.append(a)
        encoded_calls.append(encoded)
    return encoded_calls, views, offset


def _write_all(fd: int, views: list[memoryview]) -> None:
    """Write ``views`` one after another from the start of the file ``fd``."""
    offset = 0
    for view in views:
        done = 0
        while done < len(view):
            done += os.pwrite(fd, view[done:], offset + done)
        offset += len(view)


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
    policy : Policy, optional
        What isolation to insist on (:func:`~.isolation.plan_for`; raises
        :class:`~.isolation.SandboxUnavailable` when it cannot be had).
    """

    def __init__(self, submission: Submission, names, timeout: float | None = None, limits: Limits | None = None,
                 policy: Policy | None = None):
        self.submission = submission
        self.names = list(names)
        self.limits = limits or Limits()
        self.timeout = timeout if timeout is not None else self.limits.call_seconds
        self.policy = policy or Policy()
        self.plan: Plan = plan_for(self.policy, self.limits)
        self.proc: subprocess.Popen | None = None
        self.containment: Containment | None = None
        self.uid: int | None = None
        self.dirs: dict[str, str] = {}
        self.deadline: float | None = None   # set by the first start: the submission's time budget
        self.runtime_imports: list[dict] = []
        self.load_errors: list[ErrorRecord] = []
        self.found: dict[str, dict] = {}
        self.loaded = False
        self.load_failure: str | None = None   # why the first load never finished (the child died, hung), located
        self._progress = ""
        self._ahead = False   # a child spawned by spawn_ahead, not yet loaded
        self._xchg: _Exchange | None = None   # the input file of timed calls, made on first use

    # -------------------------------------------------------------- lifecycle
    @property
    def isolation(self) -> Isolation:
        """Which isolation layers hold for this runner's children."""
        return self.plan.isolation

    def _spawn(self) -> None:
        """A fresh child with fresh private folders: the submission's copy (the sources as graded, one file
        each), the exchange folder for timed calls, and (without bubblewrap) a working directory."""
        self.containment = Containment(self.limits)
        scratch = "/dev/shm" if os.path.isdir("/dev/shm") else None
        mine = f"{os.getpid()}-"
        self.dirs = {"submission": tempfile.mkdtemp(prefix=f"convcourse-src-{mine}"),
                     "exchange": tempfile.mkdtemp(prefix=f"convcourse-xchg-{mine}", dir=scratch),
                     "work": tempfile.mkdtemp(prefix=f"convcourse-work-{mine}")}
        for name in self._copies():
            os.chmod(os.path.join(self.dirs["submission"], name), 0o644)
        path = self.plan.paths(self.dirs["submission"], self.dirs["exchange"])[2]
        self.proc, self.uid = self.plan.spawn(self.limits, self.containment, self.dirs["submission"],
                                              self.dirs["exchange"], self.dirs["work"], _BOOT.format(path=path))
        # the one file of the exchange folder the child may write outside timed calls: where loading is
        # (it only writes once the load request, sent after this, arrives)
        fd = os.open(os.path.join(self.dirs["exchange"], "progress"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            if self.uid is not None and self.uid != os.getuid():
                os.fchown(fd, self.uid, self.uid)
        finally:
            os.close(fd)

    def _copies(self) -> list[str]:
        """Write each loadable source into the submission's copy under its label; return the names."""
        names = []
        for src in self.submission.sources:
            if src.syntax_error is None:
                # in the file's own encoding: its coding cookie must stay true for an `import` of it
                Path(self.dirs["submission"], src.label).write_text(src.text, encoding=src.encoding,
                                                                   errors="replace")
                names.append(src.label)
        return names

    def _inside(self, which: str, name: str = "") -> str:
        """Path of ``name`` in one of the private folders, as the child sees it."""
        sub, xchg, _ = self.plan.paths(self.dirs["submission"], self.dirs["exchange"])
        return os.path.join({"submission": sub, "exchange": xchg}[which], name)

    @property
    def budget_spent(self) -> bool:
        """Whether the submission's time budget (``limits.submission_seconds``) has run out."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    def spawn_ahead(self) -> None:
        """Start the child's process now, without loading anything: it boots (Python, its runtime, numpy:
        about 90 ms) while the grader does other work, and the next :meth:`start` loads the sources into it."""
        if self.proc is None:
            self._spawn()
            self._ahead = True

    def start(self) -> Outcome:
        """Start a child and load the sources; returns the load outcome (``found`` and ``errors``)."""
        from ..exercises.policy import ALLOWED_IMPORTS

        if self.deadline is None:
            self.deadline = time.monotonic() + self.limits.submission_seconds
        if not (self._ahead and self.proc is not None and self.proc.poll() is None):
            self.close()
            self._spawn()
        self._ahead = False
        sources = [(s.label, s.text, self._inside("submission", s.label), [start for _, start in s.cells])
                   for s in self.submission.sources if s.syntax_error is None]
        out = self._request({"op": "load", "sources": sources, "names": self.names,
                             "allowed": sorted(ALLOWED_IMPORTS), "progress": self._inside("exchange", "progress")})
        if out.ok:
            self.load_errors = clean_load_errors(out.extra.get("errors"))
            self.found = clean_found(out.extra.get("found"), self.names)
            self.loaded = True
        elif not self.loaded and self.load_failure is None:
            self.load_failure = (f"loading the submission failed{self._where_loading_stopped()}: "
                                 f"{out.error.message if out.error else 'failed'}")
        return out

    def _read_progress(self) -> str:
        """The child's last word on where it was loading, read once it is dead (so that no lease of its can
        stall the open) and without blocking whatever the file is."""
        try:
            fd = os.open(os.path.join(self.dirs["exchange"], "progress"), os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except (OSError, KeyError):
            return ""
        try:
            return os.read(fd, 300).decode("utf-8", errors="replace")
        except OSError:
            return ""
        finally:
            os.close(fd)

    def _where_loading_stopped(self) -> str:
        """``" while running conv.ipynb, cell 4"``: where the child said it was when the load ended, if it said."""
        label, _, chunk = self._progress.partition("\t")
        src = next((s for s in self.submission.sources if s.label == label), None)
        if src is None or not (chunk.isascii() and chunk.isdigit()):   # '²'.isdigit(), but int('²') raises
            return ""
        if src.cells and int(chunk) < len(src.cells):
            return f" while running {label}, cell {src.cells[int(chunk)][0]}"
        return f" while running {label}"

    def close(self) -> None:
        """Kill the child and everything it started; remove its cgroups and private folders."""
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
        self._progress = self._read_progress()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.proc = None
        self._ahead = False
        if self._xchg is not None:
            self._xchg.close()
            self._xchg = None
        for path in self.dirs.values():
            shutil.rmtree(path, ignore_errors=True)
        self.dirs = {}

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
            except Exception as exc:  # noqa: BLE001 - a malformed reply of any kind costs this request only
                box["bad"] = exc if isinstance(exc, ProtocolError) else ProtocolError(f"unreadable reply ({type(exc).__name__})")

        late = self._within_limit(exchange, f"did not return within {self.timeout:g} s")
        if late is not None:
            return late
        if "reply" not in box:
            code = None
            if "died" in box:
                try:  # the pipe can close a moment before the process has finished exiting
                    code = proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass
            self.close()
            if "bad" in box:
                return Outcome(False, error=ErrorRecord("ProtocolError", str(box["bad"])))
            return Outcome(False, error=ErrorRecord("ProcessDied", self._death(code)), by_grader=True)
        reply = box["reply"]
        if not isinstance(reply, dict):
            return Outcome(False, error=ErrorRecord("ProtocolError", "the child's reply is not a message"))
        imports = clean_imports(reply.get("imports"))
        if len(self.runtime_imports) < MAX_RUNTIME_IMPORTS:   # what a submission imports, not how often
            self.runtime_imports.extend(imports[:MAX_RUNTIME_IMPORTS - len(self.runtime_imports)])
        if reply.get("ok") is not True:
            return Outcome(False, error=clean_error(reply.get("error") or {"type": "Error", "message": "failed"}),
                           imports=tuple(imports))
        after = reply.get("args_after")
        return Outcome(True, value=reply.get("result"), args_after=tuple(after) if isinstance(after, (list, tuple)) else (),
                       extra=reply, imports=tuple(imports))

    def _within_limit(self, work, late: str) -> Outcome | None:
        """Run ``work()`` (which talks to the child) in a thread for at most the call limit and what is left
        of the submission's budget: None when it finished, else the failure, the child killed (a child that
        never answers, or makes a read of its memory wait, stalls nothing). ``late``: the timeout's message."""
        left = self.deadline - time.monotonic() if self.deadline is not None else self.timeout
        if left <= 0:
            return Outcome(False, error=ErrorRecord("BudgetSpent", self.spent_message()), by_grader=True)
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        worker.join(min(self.timeout, left))
        if not worker.is_alive():
            return None
        self.close()
        worker.join(5)
        if left < self.timeout:
            return Outcome(False, error=ErrorRecord("BudgetSpent", self.spent_message()), by_grader=True)
        return Outcome(False, error=ErrorRecord("Timeout", late), by_grader=True)

    def spent_message(self) -> str:
        return f"not run: the submission's time budget ({self.limits.submission_seconds:g} s in all) is spent"

    def _death(self, code: int | None) -> str:
        if self.plan.bwrap and code is not None and code > 128:
            code = 128 - code   # bubblewrap exits with 128 + N when its child died of signal N
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
        Either way the child cannot fake it. ``slot``: the most bytes an answer may take.

        The array arguments travel in the input file (:meth:`_inputs_for`), the answers are read straight
        from the child's memory: nothing around the calls is the child's to do, and so nothing there is its
        to skip, defer or do more cheaply than the trusted baseline.
        """
        failed = self._ensure()
        if failed:
            return failed, 0.0, "none"
        slot = max(int(slot), 8)
        encoded, inputs, in_bytes = _lay_out(calls)
        ready = self._inputs_for(in_bytes)
        if ready is not None:
            return ready, 0.0, "none"
        message = {"op": "call_shared", "name": name, "calls": encoded, "slot": slot}
        # The clock starts before the inputs are written: the child has the input file mapped, so a thread
        # of its own could see each call's inputs as they arrive; whatever it does from here on is counted
        # (golden attack-early-inputs). An idle child uses no CPU meanwhile.
        cpu0 = self.containment.cpu_ns() if self.containment else None
        t0 = time.perf_counter()
        try:
            _write_all(self._xchg.fd, inputs)
        except OSError as exc:
            return Outcome(False, error=ErrorRecord("ProtocolError", f"the timed inputs could not be written ({exc})"),
                           by_grader=True), 0.0, "none"
        out = self._request(message)
        # the answers are read before the clock stops: nothing is computed after it
        result = self._read_answers(out, len(calls), slot) if out.ok and "shared_results" in out.extra else out
        wall = time.perf_counter() - t0
        self._wait_until_idle()
        cpu1 = self.containment.cpu_ns() if self.containment else None
        if cpu0 is not None and cpu1 is not None:
            return result, (cpu1 - cpu0) / 1e9, "cpu"
        return result, wall, "wall"

    def _inputs_for(self, in_bytes: int) -> Outcome | None:
        """Make the input file (in the exchange folder, in ``/dev/shm``) hold at least ``in_bytes``, and have
        the child map it (an untimed request); None when it does, else the failure.

        The file lives as long as the child and is written afresh for every request: the child maps it once
        and never again, so no mapping, page fault or unmapping is left inside a timed request (see
        :func:`.runtime.child._map_shared`). The grader allocates its pages and keeps it open for the child's
        life: while it is open nobody can take a lease on it (which would let the child stall the grader:
        golden attack-lease), and no open is ever needed.
        """
        x = self._xchg
        if x is not None and in_bytes <= x.size:
            return None
        size = -(-max(in_bytes, 1) // _EXCHANGE_QUANTUM) * _EXCHANGE_QUANTUM   # in_bytes > what is mapped
        try:
            if x is None:
                fd = os.open(os.path.join(self.dirs["exchange"], "inputs"),
                             os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                x = self._xchg = _Exchange(fd)
                if self.uid is not None and self.uid != os.getuid():
                    os.fchown(fd, self.uid, self.uid)
            os.ftruncate(x.fd, size)
            os.posix_fallocate(x.fd, 0, size)   # the pages now, in the grader's memory: no hole to fault
        except OSError as exc:
            return Outcome(False, error=ErrorRecord("ProtocolError", f"the input file could not be made: {exc}"),
                           by_grader=True)
        x.size = 0   # until the child has mapped it at its new size
        out = self._request({"op": "map_shared", "in": self._inside("exchange", "inputs")})
        if not out.ok:
            return out
        x.size = size
        if x.pid is None:   # found now, outside every timed request
            x.pid = _runtime_process(self.proc.pid)
        return None

    def _read_answers(self, out: Outcome, count: int, slot: int) -> list[Outcome] | Outcome:
        """The ``count`` answers a timed request's reply describes, read from the child's memory within the
        call limit and what is left of the submission's budget: where a child could make a read of its
        memory wait (userfaultfd, on a machine that lets unprivileged processes handle kernel faults), it is
        killed, and the grader goes on."""
        box: dict = {}

        def read():
            try:
                metas = clean_shared_results(out.extra["shared_results"], count, slot)
                box["answers"] = [Outcome(True, value=self._read_result(meta)) for meta in metas]
            except _CannotRead as exc:
                box["answers"] = Outcome(False, error=ErrorRecord("GraderLimit", str(exc)), by_grader=True)
            except ProtocolError as exc:
                box["answers"] = Outcome(False, error=ErrorRecord("ProtocolError", str(exc)))
            except Exception as exc:  # noqa: BLE001 - whatever the reply holds, this request fails alone
                box["answers"] = Outcome(False, error=ErrorRecord("ProtocolError", f"unreadable answers ({type(exc).__name__})"))

        late = self._within_limit(read, f"its answers could not be read within {self.timeout:g} s")
        return late if late is not None else box["answers"]

    def _read_result(self, meta):
        """An answer the child described (clean_shared_results), read from its memory."""
        if isinstance(meta, tuple):
            return self._read_part(meta)
        return tuple(self._read_part(part) for part in meta)   # a tuple result: each part

    def _read_part(self, meta: tuple):
        dtype, shape, n, at = meta
        value = np.empty(shape, dtype=np.dtype(dtype))   # n bytes: clean_shared_results made sure
        got = _read_memory(self._xchg.pid, at, value) if n else 0
        if got in (-errno.EPERM, -errno.EACCES):   # the grader's own limit, not the child's doing
            raise _CannotRead("the grader may not read the sandboxed process's memory here (process_vm_readv: "
                              "permission denied): timing needs the CAP_SYS_PTRACE capability, which a container "
                              "gets with `docker run --cap-add SYS_PTRACE` (docs/instructors.md)")
        if got != n:
            raise ProtocolError("a timed answer could not be read from the child's memory "
                                "(its address is not readable there)")
        return value

    def _wait_until_idle(self, limit: float = 0.05) -> None:
        """Wait (briefly) until every task of the child's cgroup is off the CPU: the kernel charges a task's
        CPU time to its cgroup when it stops running, so reading the count while it is still on the CPU
        misses the end of its slice (up to a scheduler tick, milliseconds)."""
        if self.containment is None or not self.containment.cgroups:
            return
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline and self.containment.running():
            time.sleep(0)

    def get(self, name: str) -> Outcome:
        """Read the student's variable ``name``."""
        failed = self._ensure()
        if failed:
            return failed
        return self._request({"op": "get", "name": name})
