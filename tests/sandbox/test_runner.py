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


EARLY = '''
import mmap, os, threading, time
import numpy as np

_spun = []


def _watch(path="/exchange/inputs" if os.path.isdir("/exchange") else None):
    while path is None or not os.path.exists(path):
        if path is None:   # without bubblewrap: the exchange folder is the one beside the sources' copy
            path = next((os.path.join(d, "inputs") for d in _folders() if os.path.exists(os.path.join(d, "inputs"))), None)
        time.sleep(0.001)
    time.sleep(0.05)
    with open(path, "rb") as fh:
        view = mmap.mmap(fh.fileno(), 0, prot=mmap.PROT_READ)
    first = view[:8]
    while view[:8] == first:   # the grader starts writing the request's inputs
        time.sleep(0.0001)
    t0 = time.thread_time()
    while not _spun:           # spin until the request arrives
        pass
    _spun.append(time.thread_time() - t0)


def _folders():
    import glob
    return glob.glob("/dev/shm/convcourse-xchg-*") + glob.glob("/tmp/convcourse-xchg-*")


def start():
    threading.Thread(target=_watch, daemon=True).start()
    return 0


def early(images):
    _spun.append(None)
    while len(_spun) < 2:
        time.sleep(0.0005)
    return np.array([_spun[1]])


def address(images):
    return images[:1] * 0 + 7.0
'''


def test_what_the_child_does_once_the_inputs_are_being_written_is_timed(tmp_path):
    """The child has the input file mapped: a thread of its own that works as soon as the inputs start to
    arrive, before the request goes out, is counted (golden attack-early-inputs)."""
    p = tmp_path / "s.py"
    p.write_text(EARLY)
    with Runner(load_submission(p), ["start", "early"], timeout=20.0) as r:
        r.start()
        big = np.zeros((16, 2**20))   # 128 MiB of inputs: writing them takes milliseconds
        assert r.timed_calls("address", [(big,)], 2**24)[0][0].ok   # the file, made and mapped
        assert r.call("start", ()).ok
        time.sleep(0.2)
        result, secs, clock = r.timed_calls("early", [(big + 1,)], 64)
    assert clock == "cpu" and isinstance(result, list), result
    spun = float(result[0].value[0])
    assert spun > 0.001 and secs >= spun, (spun, secs)


FORGED = '''
import sys
import numpy as np

child = sys.modules["runtime.child"]
honest = child._call_shared


def lie():
    child._call_shared = lambda msg, labels: {"ok": True, "shared_results": [
        {"dtype": "<f8", "shape": [4], "at": 8}] * len(msg["calls"])}
    return 0


def address(images):
    return images[:1] * 0 + 7.0
'''


def test_timed_answers_are_read_from_the_childs_memory_and_a_bad_address_is_a_protocol_error(tmp_path):
    p = tmp_path / "s.py"
    p.write_text(FORGED)
    with Runner(load_submission(p), ["address", "lie"], timeout=20.0) as r:
        r.start()
        images = np.ones((3, 5))
        result, _, _ = r.timed_calls("address", [(images,), (images * 2,)], 64)
        assert [o.value.tolist() for o in result] == [[[7.0] * 5]] * 2
        assert r.call("lie", ()).ok   # from now on its runtime says the answers lie at address 8
        failed, _, _ = r.timed_calls("address", [(images,)], 64)
        assert not failed.ok and failed.error.type == "ProtocolError" and "memory" in failed.error.message
        assert r.call("address", (images,)).ok   # one failed request, and the child goes on


def test_an_answer_read_that_stalls_kills_the_child_within_the_call_limit_and_the_budget(tmp_path, monkeypatch):
    import errno

    import autograder.sandbox.runner as runner_module

    def stalled(pid, address, into):   # as a read of pages the child handles itself (userfaultfd) could
        while r.proc is not None:   # until the child is killed
            time.sleep(0.01)
        return -errno.ESRCH

    p = tmp_path / "s.py"
    p.write_text(FORGED)
    with Runner(load_submission(p), ["address", "lie"], timeout=1.0) as r:
        r.start()
        images = np.ones((3, 5))
        monkeypatch.setattr(runner_module, "_read_memory", stalled)
        late, _, _ = r.timed_calls("address", [(images,)], 64)
        assert not late.ok and late.error.type == "Timeout" and "answers could not be read" in late.error.message
        assert r.proc is None   # killed, and the grader went on
        monkeypatch.undo()
        assert r.call("address", (images,)).ok   # a new child
        r.timed_calls("address", [(images,)], 64)   # its input file mapped before the budget is cut
        monkeypatch.setattr(runner_module, "_read_memory", stalled)
        r.timeout = 6.0
        r.deadline = time.monotonic() + 0.4   # less of the submission's budget left than the call limit
        t0 = time.monotonic()
        spent, _, _ = r.timed_calls("address", [(images,)], 64)
        waited = time.monotonic() - t0
        assert not spent.ok and spent.error.type == "BudgetSpent", spent.error
        assert waited < 3.0, waited   # what was left of the budget, not the call limit


def test_a_grader_without_the_right_to_read_the_childs_memory_says_so(tmp_path):
    """Docker's default capabilities leave out CAP_SYS_PTRACE, which reading the memory of a child under
    another uid needs: the timed request fails with the grader's reason, not as the child's protocol error."""
    import shutil
    import subprocess
    import sys

    import pytest

    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root (the child runs under another uid) and util-linux's setpriv")
    p = tmp_path / "s.py"
    p.write_text(FORGED)
    script = f'''
import numpy as np
from autograder.sandbox import Runner
from autograder.grading.submission import load_submission
with Runner(load_submission({str(p)!r}), ["address"], timeout=20.0) as r:
    r.start()
    failed, _, _ = r.timed_calls("address", [(np.ones((3, 5)),)], 64)
    print(failed.error.type, failed.by_grader, failed.error.message)
'''
    out = subprocess.run(["setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace", sys.executable, "-c", script],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("GraderLimit True ") and "CAP_SYS_PTRACE" in out.stdout, out.stdout
