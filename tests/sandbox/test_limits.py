"""Containment outlives the grader that made it only until the next sweep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from autograder.sandbox.limits import Containment, process_running

#: A grader that makes a cgroup, starts one process in it that outlives it (its own session, no parent
#: death signal: what a sandbox left by a killed worker is), says where, and waits to be killed.
GRADER = """
import json, os, subprocess, sys, time
from autograder.sandbox.limits import Containment, Limits
c = Containment(Limits())
files = c.procs_files
def join():
    for path in files:
        with open(path, "w") as fh:
            fh.write(str(os.getpid()))
    os.setsid()
left = subprocess.Popen(["sleep", "1000"], preexec_fn=join)
print(json.dumps({"pid": left.pid, "groups": [str(p) for p in c.cgroups]}), flush=True)
time.sleep(1000)
"""


def _start_grader():
    grader = subprocess.Popen([sys.executable, "-c", GRADER], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).parents[2])
    made = json.loads(grader.stdout.readline())
    return grader, made["pid"], [Path(p) for p in made["groups"]]


def test_a_sweep_kills_what_a_dead_graders_sandbox_left_and_spares_a_live_graders():
    grader, left, groups = _start_grader()
    try:   # the grader runs as root here, as in CI: it can make cgroups
        assert groups and all(str(left) in (g / "cgroup.procs").read_text().split() for g in groups)
        Containment.sweep_stale(min_age=0)           # the grader that made them runs: nothing is touched
        assert process_running(left) and all(g.exists() for g in groups)

        grader.kill()
        grader.wait()
        time.sleep(0.2)
        assert process_running(left)                 # what a killed worker's sandbox would do: live on
        assert Containment.sweep_stale() >= len(groups)   # no waiting a minute: its grader is gone
        deadline = time.monotonic() + 5
        while process_running(left) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not process_running(left) and not any(g.exists() for g in groups)
    finally:
        grader.kill()
        try:
            os.kill(left, signal.SIGKILL)
        except OSError:
            pass


def test_proc_stat_reads_a_process_whose_name_is_not_utf8():
    """A process names itself (prctl PR_SET_NAME): student code can pick bytes that are not UTF-8 and a ')'
    of their own; the grader's readers of /proc must still find the state and the fields after it."""
    import ctypes
    import threading

    from autograder.sandbox.limits import proc_stat

    libc = ctypes.CDLL(None, use_errno=True)
    seen = {}

    def named():
        assert libc.prctl(15, ctypes.c_char_p(b"\xff\xfe) R 1"), 0, 0, 0) == 0   # PR_SET_NAME
        seen["fields"] = proc_stat(f"/proc/self/task/{threading.get_native_id()}/stat")

    t = threading.Thread(target=named)
    t.start()
    t.join()
    fields = seen["fields"]
    assert fields[0] == "R" and int(fields[1]) == os.getppid() and len(fields) > 19, fields[:3]   # state, parent
