"""What the sandbox shows the child, read-only: the Python runtime, numpy, the child's runtime; nothing else.

:func:`runtime_view` lists each piece as ``(host path, path in the sandbox)``: the interpreter and its
shared library, the standard library (without its ``site-packages``), numpy with its bundled libraries,
and :mod:`autograder.sandbox.runtime` (the child's entry point; never the rest of ``autograder``). The
system's shared libraries (``/usr/lib``, ``/lib64``, the loader's cache) come on top, from
:mod:`.bubblewrap`. Numba, SciPy, the reference, the model answers and every other installed package are
simply not there.

When the grader runs as root the child runs as an unprivileged uid, which may not be able to reach these
files where they lie (pyenv and many virtual environments live under ``/root``, mode 0700). Then the pieces
are first mirrored, with hard links where the file system allows and copies where it does not, into a
root-owned, world-readable image in ``/var/cache/convcourse/sandbox/<key>``, built once per Python, numpy
and runtime version; the sandbox mounts the image's copy at the original path, so nothing inside changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

__all__ = ["View", "runtime_view", "RUNTIME_MOUNT", "SITE_MOUNT"]

#: Where the child's runtime package and numpy appear inside the sandbox.
RUNTIME_MOUNT = "/opt/sandbox"
SITE_MOUNT = "/opt/sandbox/packages"

_IMAGE_ROOT = Path("/var/cache/convcourse/sandbox")
#: Parts of the standard library a child never needs (and the interpreter's own site-packages, which may
#: hold anything the machine has installed).
_SKIP = {"site-packages", "dist-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3"}


@dataclass(frozen=True)
class View:
    """The read-only mounts of one sandbox, the interpreter to run and where to find the runtime."""

    mounts: tuple[tuple[str, str], ...]   # (host source, destination in the sandbox)
    python: str                           # the interpreter, as a path in the sandbox
    runtime_parent: str                   # sys.path entry that holds the ``runtime`` package
    site: str                             # sys.path entry that holds numpy
    host_python: str                      # the same interpreter on the host (fallback without mounts)
    host_runtime_parent: str
    host_site: str
    library_path: str                     # LD_LIBRARY_PATH for the host interpreter (fallback)
    hidden: tuple[str, ...] = ()          # folders inside the mounts to cover with an empty tmpfs


def _interpreter() -> str:
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def _pieces() -> list[tuple[str, str]]:
    """``(host path, sandbox path)`` of every piece, before any mirroring."""
    import numpy

    exe = _interpreter()
    stdlib = sysconfig.get_path("stdlib")
    platstdlib = sysconfig.get_path("platstdlib", vars={"platbase": sys.base_prefix})
    pieces = [(exe, exe), (stdlib, stdlib)]
    if platstdlib != stdlib and os.path.isdir(platstdlib):
        pieces.append((platstdlib, platstdlib))
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        lib = os.path.join(sysconfig.get_config_var("LIBDIR") or "", sysconfig.get_config_var("LDLIBRARY") or "")
        if os.path.isfile(lib):
            pieces.append((os.path.realpath(lib), lib))
    numpy_dir = os.path.dirname(os.path.realpath(numpy.__file__))
    pieces.append((numpy_dir, f"{SITE_MOUNT}/numpy"))
    libs = os.path.join(os.path.dirname(numpy_dir), "numpy.libs")
    if os.path.isdir(libs):
        pieces.append((libs, f"{SITE_MOUNT}/numpy.libs"))
    runtime = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runtime")
    pieces.append((runtime, f"{RUNTIME_MOUNT}/runtime"))
    return pieces


def _key(pieces) -> str:
    """Changes whenever a piece changes: paths, versions, and the runtime's own files (small, hashed)."""
    import numpy

    h = hashlib.sha256(repr((pieces, sys.version, numpy.__version__)).encode())
    runtime = pieces[-1][0]
    for name in sorted(os.listdir(runtime)):
        if name.endswith(".py"):
            h.update(name.encode() + Path(runtime, name).read_bytes())
    return h.hexdigest()[:20]


def _ignore(folder, names):
    return [n for n in names if n in _SKIP]


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _mirror(pieces, image: Path) -> None:
    """Build the image in a temporary folder beside it and rename it into place: concurrent graders
    (a class's workers) never see half of one."""
    tmp = image.with_name(f"{image.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for src, _ in pieces:
            dst = tmp / src.lstrip("/")
            dst.parent.mkdir(parents=True, exist_ok=True)
            if os.path.isdir(src):
                shutil.copytree(src, dst, ignore=_ignore, copy_function=_link_or_copy, symlinks=True)
            else:
                _link_or_copy(src, dst)
        for folder, dirs, _ in os.walk(tmp):
            os.chmod(folder, 0o755)
        try:
            os.rename(tmp, image)
        except OSError:   # another grader finished the same image first
            if not image.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _prune(keep: Path, min_age: float = 86400.0) -> None:
    """Remove images of earlier versions a day after they were made, so that upgrades do not pile them up
    (a grader of an older version that has run for more than a day finds its image gone for new children
    and must be restarted)."""
    import time

    for other in keep.parent.iterdir():
        try:
            if other != keep and time.time() - other.stat().st_mtime > min_age:
                shutil.rmtree(other, ignore_errors=True)
        except OSError:
            pass


_VIEWS: dict[bool, View] = {}


def runtime_view(mirrored: bool) -> View:
    """The runtime the child sees; ``mirrored`` (the grader is root and the child is not): from the image."""
    if mirrored in _VIEWS:
        return _VIEWS[mirrored]
    pieces = _pieces()
    if mirrored:
        _IMAGE_ROOT.mkdir(parents=True, exist_ok=True)
        for folder in (_IMAGE_ROOT.parent, _IMAGE_ROOT):
            os.chmod(folder, 0o755)
        image = _IMAGE_ROOT / _key(pieces)
        if not image.is_dir():
            _mirror(pieces, image)
            _prune(image)
        sources = [(str(image / src.lstrip("/")), dst) for src, dst in pieces]
    else:
        sources = pieces
    exe = pieces[0][1]
    hidden = tuple(os.path.join(dst, name) for src, dst in sources if os.path.isdir(src)
                   for name in ("site-packages", "dist-packages") if os.path.isdir(os.path.join(src, name)))
    host_of = {dst: src for src, dst in sources}
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    view = View(
        mounts=tuple(sources), python=exe, runtime_parent=RUNTIME_MOUNT, site=SITE_MOUNT,
        host_python=host_of[exe],
        host_runtime_parent=os.path.dirname(host_of[f"{RUNTIME_MOUNT}/runtime"]),
        host_site=os.path.dirname(host_of[f"{SITE_MOUNT}/numpy"]),
        library_path=str(image / libdir.lstrip("/")) if mirrored and libdir else libdir, hidden=hidden)
    _VIEWS[mirrored] = view
    return view
