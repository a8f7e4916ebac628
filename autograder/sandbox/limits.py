"""Resource limits and containment for the child process that runs student code (SPEC §4).

Two layers, both set up by the grader before any student code exists, so the child cannot undo them:

- rlimits (:meth:`Limits.rlimits`), applied in the forked process just before it becomes the sandbox:
  CPU seconds, address space, file size (which bounds printed output: it goes to a file), processes, no
  core dumps. Hard and soft limits are equal, so an unprivileged child cannot raise them again.
- :class:`Containment`: a cgroup (cgroup v1's pids, memory and cpuacct hierarchies, or one cgroup v2
  group), made by the grader where it may (as root), that the child is placed in before it runs. The
  sandbox never mounts the cgroup file system, and its files belong to root: the child can neither leave
  the group nor reset its CPU count. Every process the submission starts stays in it; :meth:`kill_all`
  kills them all. Where there is no pid namespace (the fallback), a token in the environment also marks
  the child's descendants.
"""

from __future__ import annotations

import os
import resource
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "Containment", "TOKEN_VAR", "CALL_SECONDS", "SUBMISSION_SECONDS"]

TOKEN_VAR = "CONVCOURSE_SANDBOX"
_CGROUP_ROOT = Path("/sys/fs/cgroup")
_PREFIX = "convcourse-"
_PERIOD_US = 100_000   # the CFS period that the CPU quota is a share of (the kernel's default)

#: The one default for how long one call of student code may take (seconds).
CALL_SECONDS = 10.0
#: The one default for how long one submission's code may run in all (seconds): calls that each stay just
#: under CALL_SECONDS cannot make a submission take an hour.
SUBMISSION_SECONDS = 300.0


@dataclass(frozen=True)
class Limits:
    """Bounds on one child process and everything it starts.

    Attributes
    ----------
    call_seconds : float
        Wall time one request may take.
    submission_seconds : float
        Wall time all the requests of one :class:`~.runner.Runner` (one submission) may take together.
    cpu_seconds : int
        CPU time of the child over its life (a backstop; each timeout restarts it).
    memory_bytes : int
        Address space of the child (and memory of its cgroup, private ``/tmp`` included).
    processes : int
        Processes the submission may have at once (cgroup ``pids.max`` and ``RLIMIT_NPROC``).
    output_bytes : int
        Largest file the child may write, which bounds what the student prints.
    tmp_bytes : int
        Size of each of the sandbox's private ``/tmp``, ``/dev/shm`` and working directory.
    cpus : float
        Processors' worth of CPU time the submission may take at once, all its processes together (cgroup
        CPU quota): spinning processes in sessions of their own cannot starve a classmate graded beside it.
    """

    call_seconds: float = CALL_SECONDS
    submission_seconds: float = SUBMISSION_SECONDS
    cpu_seconds: int = 600
    memory_bytes: int = 4 * 2**30
    processes: int = 32
    output_bytes: int = 8 * 2**20
    tmp_bytes: int = 64 * 2**20
    cpus: float = 1.0

    def rlimits(self, own_uid: bool) -> list[tuple[int, int]]:
        """``(resource, value)`` pairs to apply in the child before it starts. ``own_uid``: the child runs
        as a uid of its own, so ``RLIMIT_NPROC`` (counted per uid) counts its processes alone."""
        out = [(resource.RLIMIT_CPU, self.cpu_seconds), (resource.RLIMIT_AS, self.memory_bytes),
               (resource.RLIMIT_FSIZE, self.output_bytes), (resource.RLIMIT_CORE, 0)]
        if own_uid:
            out.append((resource.RLIMIT_NPROC, self.processes))
        elif os.geteuid() != 0:   # the grader's own uid: allow for the processes it already has
            out.append((resource.RLIMIT_NPROC, self.processes + _processes_of(os.getuid())))
        return out


def apply_rlimits(pairs: list[tuple[int, int]]) -> None:
    """Lower each limit to ``value`` (never above an existing hard limit); soft and hard alike."""
    for which, value in pairs:
        _, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))


def _processes_of(uid: int) -> int:
    """Tasks (threads included, as RLIMIT_NPROC counts them) that ``uid`` runs now."""
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


def cgroup_version() -> int | None:
    """2 on a unified hierarchy, 1 on per-controller hierarchies, None without cgroups."""
    if (_CGROUP_ROOT / "cgroup.controllers").exists():
        return 2
    if (_CGROUP_ROOT / "pids" / "cgroup.procs").exists() or (_CGROUP_ROOT / "memory" / "cgroup.procs").exists():
        return 1
    return None


def proc_stat(path: str) -> list[str]:
    """The fields of a ``/proc/<pid>/stat`` (or ``.../task/<tid>/stat``) file after the command name, the
    state first (``proc(5)``'s field 3 is index 0): the name is in parentheses and may itself hold spaces
    and parentheses, so the fields start after the last ')'. Empty when the file cannot be read. Read as
    bytes: the name is the process's own to set (``prctl(PR_SET_NAME)``), and need not be UTF-8; the fields
    after it are ASCII."""
    try:
        with open(path, "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].decode("ascii", "replace").split()
    except OSError:
        return []


def process_running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie: a killed grader whose parent died too stays a
    zombie until init reaps it, which here can take seconds, or forever; it runs nothing any more."""
    return proc_stat(f"/proc/{pid}/stat")[:1] not in ([], ["Z"], ["X"])


def _owner(name: str) -> int | None:
    """The pid of the grader that made the cgroup called ``name``, or None for a name without one."""
    head = name[len(_PREFIX):].split("-", 1)[0]
    return int(head) if head.isdigit() and "-" in name[len(_PREFIX):] else None


def _kill_members(group: Path, wait: float = 2.0) -> None:
    """SIGKILL every process in ``group`` until it is empty (or ``wait`` s pass)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return
        if not pids or time.monotonic() > deadline:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


class Containment:
    """A cgroup (where possible) and an environment token that mark a child and all it starts."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.token = secrets.token_hex(8)
        self.cgroups: list[Path] = []
        self.version = cgroup_version()
        self.sweep_stale()
        if self.version == 1:
            self._make_v1()
        elif self.version == 2:
            self._make_v2()

    # ------------------------------------------------------------------ making
    @staticmethod
    def _bases() -> list[Path]:
        if cgroup_version() == 2:
            return [_CGROUP_ROOT]
        return [_CGROUP_ROOT / c for c in ("pids", "memory", "cpuacct", "cpu")]

    @classmethod
    def sweep_stale(cls, min_age: float = 60.0) -> int:
        """Kill what is left in the ``convcourse-<grader pid>-<token>`` cgroups of graders that died (a killed
        class-run worker cannot kill its own sandbox, and bubblewrap's die-with-parent has a window in which
        its sandbox outlives it), and remove those cgroups; a group of a running grader is left alone. A
        group whose name holds no grader pid goes once empty and ``min_age`` s old. Returns how many went."""
        removed = 0
        now = time.time()
        for base in cls._bases():
            try:
                groups = list(base.glob(_PREFIX + "*"))
            except OSError:
                continue
            for path in groups:
                owner = _owner(path.name)
                try:
                    if owner is None and now - path.stat().st_mtime <= min_age:
                        continue
                except OSError:
                    continue
                if owner is not None:
                    if process_running(owner):
                        continue
                    _kill_members(path)
                try:
                    path.rmdir()   # fails, harmlessly, while any process is still inside
                    removed += 1
                except OSError:
                    pass
        return removed

    def _make(self, base: Path, files: dict[str, str]) -> None:
        if not (base / "cgroup.procs").exists():
            return
        path = base / f"{_PREFIX}{os.getpid()}-{self.token}"
        try:
            path.mkdir()
            for name, value in files.items():
                (path / name).write_text(value)
        except OSError:
            try:
                path.rmdir()
            except OSError:
                pass
            return
        self.cgroups.append(path)

    def _make_v1(self) -> None:
        self._make(_CGROUP_ROOT / "pids", {"pids.max": str(self.limits.processes)})
        self._make(_CGROUP_ROOT / "memory", {"memory.limit_in_bytes": str(self.limits.memory_bytes)})
        self._make(_CGROUP_ROOT / "cpuacct", {})
        if (_CGROUP_ROOT / "cpu").resolve() != (_CGROUP_ROOT / "cpuacct").resolve():   # not one hierarchy
            self._make(_CGROUP_ROOT / "cpu", {"cpu.cfs_quota_us": str(int(self.limits.cpus * _PERIOD_US))})
        elif self.cgroups:
            try:
                (self.cgroups[-1] / "cpu.cfs_quota_us").write_text(str(int(self.limits.cpus * _PERIOD_US)))
            except OSError:
                pass

    def _make_v2(self) -> None:
        # A child of the root group, which may hold processes and hand controllers down.
        try:
            enabled = set((_CGROUP_ROOT / "cgroup.subtree_control").read_text().split())
            wanted = {"pids", "memory", "cpu"} & set((_CGROUP_ROOT / "cgroup.controllers").read_text().split())
            missing = wanted - enabled
            if missing:
                (_CGROUP_ROOT / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in sorted(missing)))
        except OSError:
            return
        self._make(_CGROUP_ROOT, {"pids.max": str(self.limits.processes),
                                  "memory.max": str(self.limits.memory_bytes)})
        for path in self.cgroups:
            try:
                (path / "cpu.max").write_text(f"{int(self.limits.cpus * _PERIOD_US)} {_PERIOD_US}")
            except OSError:
                pass
        for path in self.cgroups:
            try:   # absent without swap accounting; the rlimit on address space still holds
                (path / "memory.swap.max").write_text("0")
            except OSError:
                pass

    # ------------------------------------------------------------------ using
    @property
    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files a new child writes its pid into (in the forked child, before exec)."""
        return [str(p / "cgroup.procs") for p in self.cgroups]

    def cpu_ns(self) -> int | None:
        """CPU time used so far by every process of the cgroup (the kernel's count, which code inside cannot
        fake), or None where no cgroup could be made."""
        for path in self.cgroups:
            try:
                if self.version == 2:
                    stat = dict(line.split() for line in (path / "cpu.stat").read_text().splitlines())
                    return int(stat["usage_usec"]) * 1000
                if path.parent.name == "cpuacct":
                    return int((path / "cpuacct.usage").read_text())
            except (OSError, ValueError, KeyError):
                return None
        return None

    @property
    def env(self) -> dict[str, str]:
        return {TOKEN_VAR: self.token}

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

    def running(self) -> bool:
        """Whether any thread of any member is on a CPU now."""
        for pid in self.members():
            try:
                tasks = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tasks:
                if proc_stat(f"/proc/{pid}/task/{tid}/stat")[:1] == ["R"]:
                    return True
        return False

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
