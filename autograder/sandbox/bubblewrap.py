"""The bubblewrap command line that holds one child (Debian's ``bwrap``; SPEC §4 isolation).

New user, pid, network, ipc, uts, cgroup and mount namespaces; no new privileges, no capabilities, no
further user namespaces inside; its own session (no terminal to inject into); killed when the grader dies.
Its root is an empty tmpfs holding only, read-only, the system's shared libraries and the runtime view
(:mod:`.image`), the submission's copy at ``/submission``, the exchange folder for timed calls at
``/exchange`` (the only host folder it may write, and only the result file in it), size-capped private
``/tmp``, ``/dev/shm`` and working directory ``/work``, a private ``/proc`` (its own processes alone) and a
minimal ``/dev``. No ``/sys``, no ``/etc`` beyond the loader's cache, no ``/home``, ``/root``, ``/usr/bin``.
"""

from __future__ import annotations

import glob
import os
import shutil

from .image import View

__all__ = ["find_bwrap", "bwrap_args", "SUBMISSION_MOUNT", "EXCHANGE_MOUNT", "WORK_MOUNT"]

SUBMISSION_MOUNT = "/submission"
EXCHANGE_MOUNT = "/exchange"
WORK_MOUNT = "/work"

#: The system's shared libraries; where /lib and /lib64 are links into /usr (merged /usr) they stay links.
_SYSTEM = ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32")
_FILES = ("/etc/ld.so.cache",)


def find_bwrap() -> str | None:
    return shutil.which("bwrap")


def _system_mounts() -> list[str]:
    args: list[str] = []
    for path in _SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in _FILES:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    # Python packages the distribution installed system-wide are not part of the runtime.
    for path in sorted(glob.glob("/usr/lib/python3*/dist-packages") + glob.glob("/usr/lib/python3*/site-packages")):
        if os.path.isdir(path) and not os.path.islink(path):
            args += ["--tmpfs", path]
    return args


def bwrap_args(bwrap: str, view: View, uid: int, tmp_bytes: int, submission: str, exchange: str) -> list[str]:
    """The command up to and including ``--``; the interpreter's command line follows it."""
    args = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(uid), "--gid", str(uid),
            "--hostname", "sandbox", "--new-session", "--die-with-parent", "--cap-drop", "ALL",
            "--tmpfs", "/"]
    args += _system_mounts()
    for src, dst in view.mounts:
        args += ["--ro-bind", src, dst]
    for path in view.hidden:
        args += ["--tmpfs", path]
    args += ["--ro-bind", submission, SUBMISSION_MOUNT, "--bind", exchange, EXCHANGE_MOUNT,
             "--proc", "/proc", "--dev", "/dev"]
    for path in ("/tmp", "/dev/shm", WORK_MOUNT):
        args += ["--size", str(tmp_bytes), "--perms", "1777" if path != WORK_MOUNT else "0700", "--tmpfs", path]
    args += ["--chdir", WORK_MOUNT, "--remount-ro", "/", "--"]
    return args
