"""Student code runs in a child process: a crash, an exit or a hang costs one call, never the grader."""

from __future__ import annotations

import os
import time

import numpy as np

from autograder.sandbox import Runner
from autograder.submission import load_submission

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
        assert r.call("exits", (0,)).error["type"] == "SystemExit"
        died = r.call("hard_exit", (0,))
        assert died.error["type"] == "ProcessDied" and "exit status 5" in died.error["message"]
        start = time.monotonic()
        hung = r.call("hangs", (0,))
        assert hung.error["type"] == "Timeout" and time.monotonic() - start < 5
        assert r.call("interrupt", (0,)).error["type"] == "KeyboardInterrupt"
        assert r.call("ok", (1,)).value == 2          # a fresh child took over


def test_strings_arrive_as_programs_pass_them(tmp_path):
    with _runner(tmp_path) as r:
        r.start()
        assert r.call("same", ("same",)).value is False
