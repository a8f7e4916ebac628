"""Student code still running after a test: every process of a sandbox uid, or that runs the child's
runtime or carries a sandbox's environment marker, and is not a zombie (a killed sandbox whose reaper
is gone stays a zombie until init reaps it, and this machine's init may never: it runs nothing)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox.isolation import SANDBOX_UIDS
from autograder.sandbox.limits import TOKEN_VAR

_MARKER = f"{TOKEN_VAR}=".encode()


@dataclass(frozen=True)
class Process:
    pid: int
    state: str
    ppid: int
    uid: int
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid} (state {self.state}, parent {self.ppid}, uid {self.uid}): {self.command or '?'}"


def sandboxed(markers: tuple[bytes, ...] = ()) -> list[Process]:
    """The sandboxed processes running now; ``markers`` adds any process whose command line holds one."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if fields[0] in ("Z", "X"):
                continue
            uid = entry.stat().st_uid
            cmdline = (entry / "cmdline").read_bytes()
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                environ = b""
        except (OSError, IndexError):
            continue
        if (uid in SANDBOX_UIDS or b"runtime.child" in cmdline or _MARKER in environ
                or any(m in cmdline for m in markers)):
            found.append(Process(int(entry.name), fields[0], int(fields[1]), uid,
                                 cmdline.replace(b"\0", b" ").decode(errors="replace").strip()[:300]))
    return found


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _ours(proc: Process, sandboxed_pids: set[int]) -> bool:
    """Whether ``proc`` is this test run's: its first ancestor outside any sandbox is init (an orphan:
    what a leak is, whoever's) or this process or one of its descendants. A sandbox another run on the
    machine is using (a developer's second terminal) is that run's business."""
    pid = proc.ppid
    while pid in sandboxed_pids:
        pid = _parent(pid) or 1
    me = os.getpid()
    while pid not in (None, 0, 1):
        if pid == me:
            return True
        pid = _parent(pid)
    return proc.ppid in (0, 1) or _first_outside(proc, sandboxed_pids) in (0, 1)


def _first_outside(proc: Process, sandboxed_pids: set[int]) -> int:
    pid = proc.ppid
    while pid in sandboxed_pids:
        pid = _parent(pid) or 1
    return pid


def still_running(grace: float = 0.0, markers: tuple[bytes, ...] = (), known: frozenset[int] = frozenset()
                  ) -> list[Process]:
    """This run's :func:`sandboxed` processes but for the ``known`` pids, after waiting up to ``grace``
    seconds for processes already killed to finish dying."""
    deadline = time.monotonic() + grace
    while True:
        every = sandboxed(markers)
        pids = {p.pid for p in every}
        found = [p for p in every if p.pid not in known and _ours(p, pids)]
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)
