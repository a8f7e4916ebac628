"""Student code runs in a child process: a crash, an exit or a hang costs one call, never the grader."""

from __future__ import annotations

import os
import time

import numpy as np

from autograder.sandbox import Runner
from autograder.grading.submission import load_submission

CODE = '''
import os, sys
import numpy as np

def ok(x):
    print("noise " * 1000)
    return x * 2

def exits(x):
    sys.exit(3)

def hard_exit(x):
    os._exit(5)

def hangs(x):
    while True:
        pass

def interrupt(x):
    raise KeyboardInterrupt

def same(p):
    return p is 'same'

def pid(x):
    return os.getpid()
'''


def _runner(tmp_path, timeout=2.0):
    p = tmp_path / "s.py"
    p.write_text(CODE)
    return Runner(load_submission(p), ["ok", "exits", "hard_exit", "hangs", "interrupt", "same", "pid"], timeout=timeout)


def test_calls_run_in_another_process_and_printing_does_not_corrupt_answers(tmp_path):
    with _runner(tmp_path) as r:
        r.start()
        assert r.call("pid", (0,)).value != os.getpid()
        out = r.call("ok", (np.arange(3.0),))
        np.testing.assert_array_equal(out.value, [0.0, 2.0, 4.0])


def test_exit_crash_hang_and_interrupt_each_fail_one_call(tmp_path):
    with _runner(tmp_path, timeout=1.5) as r:
        r.start()
        assert r.call("exits", (0,)).error.type == "SystemExit"
        died = r.call("hard_exit", (0,))
        assert died.error.type == "ProcessDied" and "exit status 5" in died.error.message
        start = time.monotonic()
        hung = r.call("hangs", (0,))
        assert hung.error.type == "Timeout" and time.monotonic() - start < 5
        assert r.call("interrupt", (0,)).error.type == "KeyboardInterrupt"
        assert r.call("ok", (1,)).value == 2          # a fresh child took over


def test_strings_arrive_as_programs_pass_them(tmp_path):
    with _runner(tmp_path) as r:
        r.start()
        assert r.call("same", ("same",)).value is False


SPINNERS = '''
import os, time

def spin(seconds):
    """Three processes in sessions of their own, and this one, spinning (setsid gives each its own
    scheduler autogroup): the CPU time they get in all is what counts."""
    for _ in range(3):
        if os.fork() == 0:
            os.setsid()
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                pass
            os._exit(0)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    for _ in range(3):
        os.wait()
    return 0
'''


def test_a_submission_gets_one_processor_whatever_it_starts(tmp_path):
    """The cgroup's CPU quota: four spinning processes of one submission together get one processor's
    time (a hog graded beside a classmate once made the classmate's calls time out)."""
    p = tmp_path / "s.py"
    p.write_text(SPINNERS)
    with Runner(load_submission(p), ["spin"], timeout=20.0) as r:
        r.start()
        if r.containment is None or r.containment.cpu_ns() is None:
            import pytest

            pytest.fail("no cgroup CPU accounting on this machine: the CPU quota cannot hold")
        before, t0 = r.containment.cpu_ns(), time.monotonic()
        assert r.call("spin", (2.0,)).ok
        used, wall = (r.containment.cpu_ns() - before) / 1e9, time.monotonic() - t0
    assert wall >= 2.0 and used <= 1.15 * wall, (used, wall)
