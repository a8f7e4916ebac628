"""Resource limits and containment for the child process that runs student code (SPEC §4).

Two layers:

- :func:`apply_rlimits`, called by the child itself before it loads any student code: CPU seconds,
  address space, file size (which bounds printed output: it goes to a file), processes (for users other
  than root), no core dumps.
- :class:`Containment`, held by the grader: a cgroup (pids and memory controllers, where this process may
  create one: as root on these machines) that every process the submission starts stays in, even one that
  starts a new session; and, everywhere, a token in the environment that the child's descendants inherit.
  :meth:`Containment.kill_all` kills the cgroup's members and every process carrying the token.
"""

from __future__ import annotations

import os
import resource
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "apply_rlimits", "Containment", "TOKEN_VAR"]

TOKEN_VAR = "CONVCOURSE_SANDBOX"
_CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Limits:
    """Bounds on one child process and everything it starts.

    Attributes
    ----------
    call_seconds : float
        Wall time one request may take.
    cpu_seconds : int
        CPU time of the child over its life (a backstop; each timeout restarts it).
    memory_bytes : int
        Address space of the child (and memory of its cgroup).
    processes : int
        Processes the submission may have at once (cgroup ``pids.max``; ``RLIMIT_NPROC`` when not root).
    output_bytes : int
        Largest file the child may write, which bounds what the student prints.
    """

    call_seconds: float = 10.0
    cpu_seconds: int = 600
    memory_bytes: int = 4 * 2**30
    processes: int = 32
    output_bytes: int = 8 * 2**20

    def to_env(self) -> dict[str, str]:
        return {"CONVCOURSE_LIMITS": f"{self.cpu_seconds},{self.memory_bytes},{self.processes},{self.output_bytes}"}


def apply_rlimits(spec: str | None = None) -> None:
    """In the child: apply the limits passed in ``$CONVCOURSE_LIMITS`` (see :meth:`Limits.to_env`)."""
    spec = spec if spec is not None else os.environ.get("CONVCOURSE_LIMITS")
    if not spec:
        return
    cpu, memory, processes, output = (int(v) for v in spec.split(","))

    def lower(which, value):
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))

    lower(resource.RLIMIT_CPU, cpu)
    lower(resource.RLIMIT_AS, memory)
    lower(resource.RLIMIT_FSIZE, output)
    lower(resource.RLIMIT_CORE, 0)
    if os.geteuid() != 0:  # root ignores RLIMIT_NPROC; the cgroup bounds it there
        lower(resource.RLIMIT_NPROC, processes + _processes_of(os.getuid()))


def _processes_of(uid: int) -> int:
    """Processes (threads included, as RLIMIT_NPROC counts them) that ``uid`` runs now."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if int(fields.get("Uid", "-1").split()[0]) == uid:
                count += int(fields.get("Threads", "1"))
    return count


class Containment:
    """A cgroup (where possible) and an environment token that mark a child and all it starts."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.token = secrets.token_hex(8)
        self.cgroups: list[Path] = []
        self.sweep_stale()
        self._make_cgroups()

    @staticmethod
    def sweep_stale(min_age: float = 60.0) -> int:
        """Remove empty ``convcourse-*`` cgroups left by a grader that was killed (older than ``min_age`` s,
        so that one another grader is still filling is left alone); returns how many went."""
        removed = 0
        now = time.time()
        for controller in ("pids", "memory", "cpuacct"):
            base = _CGROUP_ROOT / controller
            try:
                stale = [p for p in base.glob("convcourse-*") if now - p.stat().st_mtime > min_age]
            except OSError:
                continue
            for path in stale:
                try:
                    path.rmdir()   # fails, harmlessly, while any process is still inside
                    removed += 1
                except OSError:
                    pass
        return removed

    def _make_cgroups(self) -> None:
        settings = {"pids": {"pids.max": str(self.limits.processes)},
                    "memory": {"memory.limit_in_bytes": str(self.limits.memory_bytes)},
                    "cpuacct": {}}
        for controller, files in settings.items():
            base = _CGROUP_ROOT / controller
            if not (base / "cgroup.procs").exists():
                continue
            path = base / f"convcourse-{self.token}"
            try:
                path.mkdir()
                for name, value in files.items():
                    (path / name).write_text(value)
            except OSError:
                try:
                    path.rmdir()
                except OSError:
                    pass
                continue
            self.cgroups.append(path)

    def cpu_ns(self) -> int | None:
        """CPU time used so far by every process of the cgroup (the kernel's count, which code inside cannot
        fake), or None where no cpuacct cgroup could be made."""
        for path in self.cgroups:
            if path.parent.name == "cpuacct":
                try:
                    return int((path / "cpuacct.usage").read_text())
                except (OSError, ValueError):
                    return None
        return None

    @property
    def env(self) -> dict[str, str]:
        return {TOKEN_VAR: self.token}

    def add(self, pid: int) -> None:
        """Put ``pid`` (the freshly started child) in the cgroups; its descendants follow."""
        for path in self.cgroups:
            try:
                (path / "cgroup.procs").write_text(str(pid))
            except OSError:
                pass

    def members(self) -> set[int]:
        pids: set[int] = set()
        for path in self.cgroups:
            try:
                pids.update(int(p) for p in (path / "cgroup.procs").read_text().split())
            except OSError:
                pass
        marker = f"{TOKEN_VAR}={self.token}".encode()
        me = os.getpid()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    pids.add(int(entry.name))
            except OSError:
                continue
        return pids

    def kill_all(self, wait: float = 2.0) -> int:
        """SIGKILL every member until none is left (or ``wait`` seconds pass); return how many were killed."""
        killed = 0
        deadline = time.monotonic() + wait
        while True:
            pids = self.members()
            if not pids:
                return killed
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except (ProcessLookupError, PermissionError):
                    pass
            if time.monotonic() > deadline:
                return killed
            time.sleep(0.02)

    def close(self) -> None:
        self.kill_all()
        for path in self.cgroups:
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)
        self.cgroups = []
