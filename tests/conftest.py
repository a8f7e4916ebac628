import os
import signal

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
