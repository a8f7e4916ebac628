"""How a child is isolated, layer by layer, and how one is started (SPEC §4 isolation, §5 ``"isolation"``).

The layers, each of which stops something a hostile submission would try:

- ``user``: the child runs as a uid of its own, never root and never the grader's (only possible when the
  grader is root); it cannot signal, trace or read what belongs to the grader or a sibling.
- ``namespaces``: bubblewrap's new user, pid, ipc, uts and mount namespaces: the child sees only its own
  processes (not the grader, the baseline or a classmate's child), cannot leave its group by starting a
  new session, and everything it starts dies with it.
- ``network``: a network namespace with only a loopback.
- ``filesystem``: a mount namespace that shows only the runtime (:mod:`.image`) and the submission's copy,
  read-only, with size-capped private ``/tmp``, ``/dev/shm`` and working directory: no secret, no
  reference, no model answers, no classmate, no records, no cgroup files.
- ``cgroup``: a cgroup the grader made and the child cannot write: memory, processes, and the CPU count
  that times the tiers.
- ``environment`` and ``workdir``: always: a whitelisted environment (no secret, no student id) and an
  empty private working directory.

bubblewrap gives all of them where the machine allows user namespaces. Where it cannot run, the grader
falls back layer by layer (an unprivileged uid when root, the scrubbed environment, a private working
directory, the cgroup) and the record says which layers held. With neither ``user`` nor ``namespaces`` the
hardened path refuses to run (:class:`SandboxUnavailable`) unless told otherwise (``--no-sandbox``).
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path
from dataclasses import dataclass
from enum import Enum

from ..reference.threads import single_thread_env
from .bubblewrap import EXCHANGE_MOUNT, SUBMISSION_MOUNT, bwrap_args, find_bwrap
from .image import runtime_view
from .limits import Containment, Limits, apply_rlimits, process_running

__all__ = ["Layer", "Isolation", "Policy", "SandboxUnavailable", "Plan", "plan_for", "SANDBOX_UIDS"]


class Layer(str, Enum):
    USER = "user"
    NAMESPACES = "namespaces"
    NETWORK = "network"
    FILESYSTEM = "filesystem"
    CGROUP = "cgroup"
    ENVIRONMENT = "environment"
    WORKDIR = "workdir"


#: The uids sandboxed children get when the grader is root: one drawn at random for each child, so that
#: even without namespaces two children never share a uid (nor processes to signal, nor a process count).
SANDBOX_UIDS = range(1_500_000_000, 1_600_000_000)

#: The only variables a child's environment has (besides these, the thread-pinning ones and the BLAS
#: core type the machine needs for correct results).
_PASSED = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL")


class SandboxUnavailable(Exception):
    """No isolation layer that keeps student code from the grader can be had here."""


@dataclass(frozen=True)
class Policy:
    """What the grader insists on. ``require``: refuse without the ``user`` or ``namespaces`` layer (the
    hardened path's default; ``--no-sandbox`` turns it off). ``bubblewrap``: try bubblewrap at all."""

    require: bool = True
    bubblewrap: bool = True


@dataclass(frozen=True)
class Isolation:
    """Which layers held for a run, with the reason for each missing one."""

    sandbox: str                        # "bubblewrap" or "fallback"
    layers: dict[str, bool]
    notes: tuple[str, ...] = ()

    @property
    def missing(self) -> list[str]:
        return [name for name, held in self.layers.items() if not held]

    def to_json(self) -> dict:
        return {"sandbox": self.sandbox, "layers": dict(self.layers), "missing": self.missing,
                "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: dict | None) -> Isolation | None:
        if not data:
            return None
        return cls(data["sandbox"], dict(data["layers"]), tuple(data.get("notes", ())))

    def summary(self) -> str:
        """One line for the terminal: loud where a layer is missing."""
        held = [n for n, ok in self.layers.items() if ok]
        if not self.missing:
            return f"isolation: {self.sandbox}, every layer held ({', '.join(held)})"
        why = f" ({'; '.join(self.notes)})" if self.notes else ""
        return f"WARNING isolation: {self.sandbox}, MISSING {', '.join(self.missing)}{why}"


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS = 1, 38


@dataclass
class Plan:
    """How children are started on this machine, decided once per grader process (:func:`plan_for`)."""

    bwrap: str | None
    drop_to_uid: bool
    isolation: Isolation

    @property
    def view_mirrored(self) -> bool:
        """The runtime is mirrored into a world-readable image exactly when the child's uid is not ours."""
        return self.drop_to_uid

    def spawn(self, limits: Limits, containment: Containment, submission: str, exchange: str, workdir: str,
              boot: str, stderr=subprocess.DEVNULL) -> tuple[subprocess.Popen, int]:
        """Start one child (``boot`` is the interpreter's ``-c`` program) under every layer of the plan;
        returns the process and the child's uid outside. Only the probe reads ``stderr`` (bubblewrap's own
        complaints); a student's child writes it nowhere. The forked process joins the cgroup, lowers its
        rlimits, leaves the grader's session and drops to the sandbox uid before it becomes bubblewrap (or
        the interpreter), so nothing of it ever runs with more."""
        view = runtime_view(self.view_mirrored)
        uid = secrets.choice(SANDBOX_UIDS) if self.drop_to_uid else os.getuid()
        env = single_thread_env({})
        env.update({k: os.environ[k] for k in _PASSED if k in os.environ})
        env.setdefault("LANG", "C.UTF-8")
        env["PATH"] = "/usr/bin:/bin"
        if self.bwrap:
            env.update(HOME="/work", TMPDIR="/tmp")
            argv = bwrap_args(self.bwrap, view, uid, limits.tmp_bytes, submission, exchange) + [view.python]
            cwd = "/"
        else:
            env.update(containment.env)
            env.update(HOME=workdir, TMPDIR=workdir, LD_LIBRARY_PATH=view.library_path)
            argv = [view.host_python]
            cwd = workdir
            if self.drop_to_uid:
                os.chown(workdir, uid, uid)
        for path in (submission, exchange):   # the child's uid reads them; only the grader writes them
            os.chmod(path, 0o755)
        os.chmod(workdir, 0o700)
        argv += ["-I", "-S", "-B", "-c", boot]
        procs_files = containment.procs_files
        rlimits = limits.rlimits(own_uid=self.drop_to_uid)
        drop = self.drop_to_uid
        grader = os.getpid()

        def prepare():   # runs in the forked process, before exec: no locks, no imports
            pid = str(os.getpid()).encode()
            for path in procs_files:
                fd = os.open(path, os.O_WRONLY)
                os.write(fd, pid)
                os.close(fd)
            os.setsid()
            apply_rlimits(rlimits)
            if drop:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
            _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            _libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)   # after setuid, which clears it
            if os.getppid() != grader:   # the grader died before the line above: nobody would kill this
                os._exit(1)

        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                env=env, cwd=cwd, preexec_fn=prepare, close_fds=True)
        return proc, uid

    def paths(self, submission: str, exchange: str) -> tuple[str, str, list[str]]:
        """Where the child sees the submission copy and the exchange folder, and its ``sys.path`` head."""
        view = runtime_view(self.view_mirrored)
        if self.bwrap:
            return SUBMISSION_MOUNT, EXCHANGE_MOUNT, [view.runtime_parent, view.site]
        return submission, exchange, [view.host_runtime_parent, view.host_site]


_PLANS: dict[Policy, Plan] = {}


def _layers(bwrap_ok: bool, drop: bool, cgroup: bool) -> dict[str, bool]:
    return {Layer.USER.value: drop, Layer.NAMESPACES.value: bwrap_ok, Layer.NETWORK.value: bwrap_ok,
            Layer.FILESYSTEM.value: bwrap_ok, Layer.CGROUP.value: cgroup,
            Layer.ENVIRONMENT.value: True, Layer.WORKDIR.value: True}


def _probe(plan: Plan, limits: Limits) -> str | None:
    """Start one real child under ``plan`` and have it answer; the reason it could not (bubblewrap's own
    last line where it complained), or None."""
    containment = Containment(limits)
    dirs = [tempfile.mkdtemp(prefix="convcourse-probe-") for _ in range(3)]
    try:
        boot = "import sys; sys.path[:0] = %r; import numpy; print('ok', flush=True)" % (plan.paths(*dirs[:2])[2],)
        proc, _ = plan.spawn(limits, containment, dirs[0], dirs[1], dirs[2], boot, stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return "it did not start within 30 s"
        if out.strip() != b"ok":
            lines = err.decode(errors="replace").strip().splitlines()
            return lines[-1][:200] if lines else f"it exited with status {proc.returncode}"
        return None
    except OSError as exc:
        return str(exc)
    finally:
        containment.close()
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)


def sweep_private_folders() -> int:
    """Remove the private folders (``convcourse-{src,xchg,work}-<pid>-*``) of graders that no longer run:
    a grader killed mid-run (SIGKILL, a lost worker) could not remove its own. Returns how many went."""
    removed = 0
    for folder in {tempfile.gettempdir(), "/dev/shm"}:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            parts = name.split("-")
            if len(parts) >= 4 and parts[0] == "convcourse" and parts[1] in ("src", "xchg", "work") \
                    and parts[2].isdigit() and not process_running(int(parts[2])):
                shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
                removed += 1
    return removed


def plan_for(policy: Policy = Policy(), limits: Limits | None = None) -> Plan:
    """The plan for this machine: bubblewrap if a probe child runs in it, else the fallback; raises
    :class:`SandboxUnavailable` when ``policy.require`` and neither ``user`` nor ``namespaces`` holds."""
    if policy in _PLANS:
        return _PLANS[policy]
    limits = limits or Limits()
    sweep_private_folders()   # once per grader process: what killed graders left behind
    root = os.geteuid() == 0
    notes: list[str] = []
    probe_cg = Containment(limits)
    cgroup = bool(probe_cg.cgroups)
    probe_cg.close()
    if not cgroup:
        notes.append("no cgroup could be made (not root, or no cgroup file system): memory and processes are "
                     "bounded by rlimits alone, and tiers are timed by the wall clock")
    bwrap = find_bwrap() if policy.bubblewrap else None
    plan = None
    if bwrap:
        candidate = Plan(bwrap, root, Isolation("bubblewrap", _layers(True, root, cgroup), tuple(notes)))
        failure = _probe(candidate, limits)
        if failure is None:
            plan = candidate
        else:
            notes.append(f"bubblewrap cannot run here ({failure})")
    elif policy.bubblewrap:
        notes.append("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    if plan is None:
        if not root:
            notes.append("the grader is not root, so the child keeps the grader's uid")
        plan = Plan(None, root, Isolation("fallback", _layers(False, root, cgroup), tuple(notes)))
        if root and (failure := _probe(plan, limits)) is not None:
            raise SandboxUnavailable(f"could not start a sandboxed child even without bubblewrap: {failure}")
    if policy.require and not (plan.isolation.layers["user"] or plan.isolation.layers["namespaces"]):
        raise SandboxUnavailable(
            "no isolation layer can hold here (bubblewrap cannot run and the grader is not root): "
            + "; ".join(notes) + ". Pass --no-sandbox to grade your own code anyway")
    _PLANS[policy] = plan
    return plan

