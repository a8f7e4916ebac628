import os
import signal
import stat

import pytest
from hypothesis import HealthCheck, settings

# Numba may compile on a first call: no per-example deadline. CI runs the same number of examples as a
# developer, derandomised so that a red CI run can be replayed exactly.
settings.register_profile(
    "default", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", deadline=None, max_examples=60, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

# Grading for the record refuses to run without a course secret (autograder.grading.cases.course_secret): the
# suite grades as a course would, with one of its own (tests that need none unset it; the golden suite
# sets its own).
if not os.environ.get("CONVCOURSE_SECRET") or os.environ["CONVCOURSE_SECRET"] == "convcourse-practice":
    os.environ["CONVCOURSE_SECRET"] = "test-suite-course-secret"


@pytest.fixture(autouse=True)
def _no_student_code_left_running():
    """Every test leaves no sandboxed process behind: one that does fails, naming the process (and it is
    killed, so that the next test is not blamed for it). Processes that ran before the test are not its."""
    from tests.leftovers import sandboxed, still_running

    before = frozenset(p.pid for p in sandboxed())
    yield
    left = still_running(grace=3.0, known=before)
    for proc in left:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    assert not left, "student code left running: " + "; ".join(map(str, left))


def _null_is_a_device() -> bool:
    try:
        return stat.S_ISCHR(os.stat(os.devnull).st_mode)
    except OSError:
        return False


_NULL_AT_START = _null_is_a_device()
_NULL_BROKEN_BY: list[str] = []


@pytest.fixture(autouse=True)
def _dev_null_stays_a_device(request):
    """A CI run found /dev/null holding text midway through the suite (git then refused it as a config file).
    Whatever replaces it (a rename onto it as root, a student's write that escaped) is named here, once, in
    the run's summary: the first test after which it stopped being the character device it was at the start."""
    yield
    if _NULL_AT_START and not _NULL_BROKEN_BY and not _null_is_a_device():
        _NULL_BROKEN_BY.append(request.node.nodeid)


def pytest_terminal_summary(terminalreporter):
    if not _NULL_AT_START:
        terminalreporter.write_line(f"note: {os.devnull} was not a character device when the suite started")
    elif _NULL_BROKEN_BY:
        terminalreporter.write_line(f"WARNING: {os.devnull} stopped being a character device during "
                                    f"{_NULL_BROKEN_BY[0]}")
