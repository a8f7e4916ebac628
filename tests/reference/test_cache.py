"""Numba's compile cache: a new process loads every kernel instead of compiling, also read-only installs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autograder

PACKAGE = Path(autograder.__file__).parent

PROBE = """
import json, os, sys
if os.environ.get("CONVCOURSE_PROBE_SITE"):
    # Import the copy under test, not the editable install of the checkout.
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()]
    sys.path.insert(0, os.environ["CONVCOURSE_PROBE_SITE"])
import autograder
from autograder.reference.warmup import kernel_dispatchers, warm_up
warm_up()
stats = [d.stats for d in kernel_dispatchers().values()]
print(json.dumps({"cold": sorted(name for name, d in kernel_dispatchers().items() if not d.stats.cache_hits),
                  "hits": sum(sum(s.cache_hits.values()) for s in stats),
                  "misses": sum(sum(s.cache_misses.values()) for s in stats),
                  "paths": sorted({s.cache_path for s in stats}), "package": autograder.__file__}))
"""


def _probe(env=None, wrap=None) -> dict:
    cmd = [sys.executable, "-c", PROBE]
    if wrap:
        cmd = wrap(cmd)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_new_process_compiles_nothing_once_warm():
    _probe()                       # warm (a no-op after `make setup`)
    second = _probe()
    assert second["misses"] == 0, second
    # Every kernel the reference calls directly came from the cache (helpers inlined into them may not
    # have entries of their own).
    assert set(second["cold"]) <= {"im2col_rows", "_pool", "_mean3_run", "pad_image"}, second


@pytest.mark.slow
def test_read_only_install_falls_back_to_the_user_cache(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(PACKAGE, site / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    env = dict(os.environ, CONVCOURSE_PROBE_SITE=str(site), XDG_CACHE_HOME=str(cache), HOME=str(tmp_path))
    env.pop("NUMBA_CACHE_DIR", None)

    if os.geteuid() == 0:
        # root writes anywhere: make the package read-only the way a system install is, with a read-only
        # bind mount in a private mount namespace.
        def wrap(cmd):
            quoted = " ".join(f"'{c}'" for c in cmd)
            return ["unshare", "--mount", "sh", "-c",
                    f"mount --bind '{site}' '{site}' && mount -o remount,bind,ro '{site}' && exec {quoted}"]
    else:
        for path in sorted(site.rglob("*"), reverse=True) + [site]:
            path.chmod(path.stat().st_mode & ~0o222)
        wrap = None

    first = _probe(env, wrap)
    assert first["package"].startswith(str(site)), first
    assert first["misses"] > 0, first                        # cold: compiled...
    assert all(str(cache) in p for p in first["paths"]), first  # ...into the user cache
    assert not list(site.rglob("*.nbi")), "wrote a cache into the read-only package"
    second = _probe(env, wrap)
    assert second["misses"] == 0 and second["hits"] >= 9, second
