"""Time a submission against the reference on a standard workload, and give it a tier (SPEC §3).

The student's function runs in the child (single-threaded: every thread pool pinned to one) and is timed
from outside it over the whole request (:meth:`~autograder.sandbox.runner.Runner.timed_calls`), with the
arrays in a shared file so that moving them costs next to nothing; the reference runs here in its
single-thread mode.
The two alternate, each repeat on fresh inputs, and every timed output is checked against the reference,
so neither a cached result nor a lazy one helps. A small probe goes first: a submission that could not
finish the workload in :data:`~.tiers.MAX_SECONDS` is ``too-slow`` after seconds, not minutes.
"""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..exercises.model import Workload
from ..grading.compare import builtin_error
from ..grading.results import Tier
from ..grading.submission import Source, Submission
from ..reference import single_threaded
from ..sandbox import Runner
from ..sandbox.runtime.memory import steady_allocator
from .agree import agrees
from .tiers import MAX_SECONDS, ONE_CALL_MARGIN, TIME_BUDGET, classify, workload_args

__all__ = ["TierResult", "TrustedBaseline", "measure_tier"]


@dataclass
class TierResult:
    tier: Tier | None
    ratio: float | None
    student_seconds: float | None = None
    reference_seconds: float | None = None
    clock: str = ""
    message: str = ""


def _reference_seconds(spec, args) -> tuple[float, object]:
    """``(seconds, answer)`` of the reference on ``args``, single-threaded: this thread's CPU time (its wall
    time where the CPU clock reads zero). Nothing is moved between processes, so nothing else is counted."""
    with single_threaded():
        t0 = time.thread_time()
        w0 = time.perf_counter()
        out = spec.reference(*args)
        cpu, wall = time.thread_time() - t0, time.perf_counter() - w0
    return (cpu if cpu > 0 else wall), out


def _reference_batch(spec, calls) -> tuple[list[float], list]:
    """The reference's seconds on each of ``calls`` (as :func:`_reference_seconds`) and its answers.

    The answers come from untimed calls and are kept (the student's are checked against them); each timed
    call's output is dropped at once, so the next one reuses that memory, as a student's calls in their
    child reuse what the answers of the request before freed (the child keeps a request's answers until the
    next one, for the grader to read). Timing the calls that make the kept answers would count the page faults of memory new to the
    process, or write-protected since a child was forked: 392 faults a call, 0.5 ms -> 0.9-1.3 ms on the
    bank workload, which is how fork-started busy loops pulled ratios down by 1.6-2.5x (docs/tiers.md)."""
    with single_threaded():   # once for the batch: entering it costs threadpoolctl's introspection
        wants = [spec.reference(*args) for args in calls]
        spec.reference(*calls[0])   # once more, dropped: the memory the timed calls' outputs will reuse
        seconds = [_reference_seconds(spec, args)[0] for args in calls]
    return seconds, wants


def _parts(want) -> tuple:
    return want if isinstance(want, tuple) else (want,)


def _slot(want) -> int:
    """Bytes each timed answer may take: twice the right answer's, parts rounded up to 64."""
    return 2 * sum(-(-p.nbytes // 64) * 64 for p in _parts(want))


_BASELINE_SOURCE = """import numpy as np

_SHAPES = None


def expect(shapes, several):
    global _SHAPES
    _SHAPES = ([tuple(s) for s, _ in shapes], [d for _, d in shapes], several)
    return 0


def baseline(*args):
    shapes, dtypes, several = _SHAPES
    parts = [np.empty(s, dtype=d) for s, d in zip(shapes, dtypes)]
    return tuple(parts) if several else parts[0]
"""


class TrustedBaseline:
    """A child that runs only the grader's own do-nothing function (the student cannot inflate it):
    ``measure(calls, like, slot)`` is what a request of these calls costs around the calls (the inputs
    written, the request and its reply, the answers read from the child's memory), the answers' arrays
    allocated as a student's would be. Nothing else is in it, and no correct answer can skip any of it: the
    input file is mapped once, outside the timed requests (:meth:`~autograder.sandbox.runner.Runner.timed_calls`).
    One child serves every exercise of a grading (told each answer's shapes first), started on first use;
    close it when done."""

    def __init__(self, limits, policy):
        self.limits, self.policy = limits, policy
        self._runner: Runner | None = None
        self._expected = None

    def _child(self) -> Runner:
        if self._runner is None:
            sub = Submission("<baseline>", [Source("baseline.py", _BASELINE_SOURCE, "baseline.py")])
            self._runner = Runner(sub, ["expect", "baseline"], limits=self.limits, policy=self.policy)
        return self._runner

    def spawn_ahead(self) -> None:
        """Start the child's process now, to boot while the grader checks cases (it is loaded on first use)."""
        self._child().spawn_ahead()

    def measure(self, calls, like, slot) -> float | None:
        key = ([(tuple(p.shape), p.dtype.str) for p in _parts(like)], isinstance(like, tuple))
        if not self._child().loaded:
            self._runner.start()
        if key != self._expected:   # no warm-up request: the first one after a change may pay for new
            told = self._runner.call("expect", key)   # memory, and the cheapest of two is what counts
            if not told.ok:
                return None
            self._expected = key
        result, secs, _ = self._runner.timed_calls("baseline", calls, slot)
        return secs if isinstance(result, list) and secs > 0 else None

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextmanager
def _baseline_for(runner, shared: TrustedBaseline | None):
    if shared is not None:
        yield shared
        return
    with TrustedBaseline(runner.limits, runner.policy) as own:
        yield own


def _timed(runner, name, calls, slot):
    """``(outputs or None, seconds, clock, error)`` of one timed request."""
    result, secs, clock = runner.timed_calls(name, calls, slot)
    if isinstance(result, list):
        return [o.value for o in result], secs, clock, None
    kind = result.error.type if not result.ok and result.error else "a result that is not a float array"
    if kind == "GraderLimit":   # the grader's own words about its environment: the instructor's to read
        return None, secs, clock, result.error.message
    if not result.ok and not (result.by_grader or builtin_error(kind) or kind == "ProtocolError"):
        kind = "an exception"   # its class's name is the child's to choose: it could spell a hidden case
    return None, secs, clock, kind


def _disagreement(outs, wants) -> str | None:
    """Why the timed answers ``outs`` fail against the reference's ``wants``, or None when they agree.

    An answer must have the reference's dtype as well as its values (SPEC §1: float64 for the workloads'
    float64 images): a float32 answer takes half the bytes of the trusted baseline's float64 ones, and the
    check's tolerance would let it through (golden attack-f32-answers)."""
    for got, want in zip(outs, wants):
        for g, w in zip(_parts(got), _parts(want)):
            if isinstance(g, np.ndarray) and g.dtype != w.dtype and g.shape == w.shape and g.dtype.kind == "f":
                return f"{g.dtype} answers where the reference's are {w.dtype}"
        if not agrees(got, want):
            return "wrong answer"
    return None


def _single(runner, name, args, want, slow_message: str | None):
    """One timed call whose answer must agree with ``want``: ``(seconds, clock, None)``, or
    ``(None, clock, TierResult)`` ending the measurement (``too-slow`` on a timeout when ``slow_message``
    says why, else no tier)."""
    outs, secs, clock, err = _timed(runner, name, [args], _slot(want))
    if err == "Timeout" and slow_message:
        return None, clock, TierResult("too-slow", None, clock=clock, message=slow_message)
    wrong = err or _disagreement(outs, [want])
    if wrong:
        return None, clock, TierResult(None, None, clock=clock, message=f"the timing workload failed ({wrong})")
    return secs, clock, None


#: A student's call measured as taking less than this share of the reference's time is not believed: no
#: numpy code beats the compiled reference by that much, so such a time means a faked or broken clock.
IMPLAUSIBLE_RATIO = 0.2


#: Requests of the trusted baseline per measurement (the first ones): its cheapest is what is subtracted,
#: and it cost as much as the student's own requests. It is measured again before every later request
#: while a request so far cost no more than it: a baseline inflated by a moment's noise (on a class run's
#: busy cores, 0.6 ms a call where the student's work was 0.5) must not make a time impossible.
BASELINE_REQUESTS = 2

#: The timed requests may stop after this many, when they already leave no doubt about the tier.
EARLY_AFTER = 2

#: ... that is, when every request's ratio so far (less the cheapest baseline so far, as the final ratio
#: is computed) lies inside one tier at least this factor from each of its bounds, and above
#: :data:`IMPLAUSIBLE_RATIO`: the median of more requests would then cross a bound only if the machine
#: changed speed by that factor between requests. Calibrated with ``benchmarks/tiers.py`` (docs/tiers.md).
EARLY_MARGIN = 1.3


def _beyond_doubt(requests, baselines, reference, batch, wl: Workload) -> bool:
    """Whether the requests so far already decide the tier (see :data:`EARLY_MARGIN`)."""
    r_med, floor = statistics.median(reference), min(baselines)
    if r_med <= 0:
        return False
    high = (max(requests) - floor) / batch / r_med
    low = (min(requests) - floor) / batch / r_med
    if low < IMPLAUSIBLE_RATIO * EARLY_MARGIN:
        return False
    tier = classify(high * EARLY_MARGIN, wl)
    if tier != classify(low / EARLY_MARGIN, wl):
        return False
    return True


def measure_tier(runner, spec, wl: Workload, seed: int | None = None, repeats: int = 5,
                 batch: int = 16, baseline: TrustedBaseline | None = None) -> TierResult:
    """Tier of the student's ``spec.name`` on the workload ``wl`` (see module docstring).

    Up to ``repeats`` requests of ``batch`` calls each, every call on fresh inputs and checked; the
    student's time per call is the request's time less the trusted baseline, over ``batch``. After
    :data:`EARLY_AFTER` requests, the measurement stops as soon as they leave no doubt about the tier
    (:data:`EARLY_MARGIN`). The inputs come from
    fresh OS randomness (``seed`` only for reproducible benchmarks), so nothing can precompute them. An
    impossible measurement (a time of zero or less, a baseline that failed) gives no tier, with the reason.
    ``baseline``: a :class:`TrustedBaseline` shared by a grading's exercises (else one of its own).
    """
    steady_allocator()
    rng = np.random.default_rng(seed)

    # One untimed call first: a submission that compiles (Numba) or caches on first use pays that once,
    # as the reference did at set-up; its answer is still checked.
    warm_args = workload_args(spec, wl.make(rng, 1))
    _, clock, stop = _single(runner, spec.name, warm_args, spec.reference(*warm_args), None)
    if stop:
        return stop

    probe_args = workload_args(spec, wl.make(rng, wl.probe))
    _, probe_ref = _reference_seconds(spec, probe_args)
    probe_s, clock, stop = _single(runner, spec.name, probe_args, probe_ref,
                                   f"{wl.probe} of the workload's {wl.m} images took over {runner.timeout:g} s")
    if stop:
        return stop
    predicted = probe_s * wl.m / wl.probe
    if predicted > MAX_SECONDS:
        return TierResult("too-slow", None, student_seconds=predicted, clock=clock,
                          message=f"the whole workload would take about {predicted:.0f} s (limit {MAX_SECONDS:g} s)")
    # One whole-workload call next (the probe's extrapolation overstates submissions whose cost is per
    # position rather than per image): far beyond every bound, it decides alone.
    full_args = workload_args(spec, wl.make(rng, wl.m))
    ref_times, (full_ref,) = _reference_batch(spec, [full_args])
    ref_full = min(ref_times + [_reference_seconds(spec, full_args)[0] for _ in range(2)])   # outputs dropped
    one_s, clock, stop = _single(runner, spec.name, full_args, full_ref,
                                 f"the workload ({wl.m} images) took over {runner.timeout:g} s")
    if stop:
        return stop
    if one_s <= 0 or ref_full <= 0:
        return TierResult(None, None, clock=clock, message="not measured: a call took no time (an impossible time)")
    one_ratio = one_s / ref_full
    if one_ratio > ONE_CALL_MARGIN * wl.bounds[-1][1]:
        return TierResult(classify(one_ratio, wl), round(one_ratio, 1), one_s, ref_full, clock,
                          f"{one_s * 1e3:.0f} ms a call against the reference's {ref_full * 1e3:.2f} ms "
                          f"({one_ratio:.0f}x; one call decides when it is this far past every bound)")
    # Keep the timed part to about TIME_BUDGET seconds: fewer calls a request for slower submissions.
    batch = max(1, min(batch, int(TIME_BUDGET / (repeats * max(one_s, 1e-6)))))

    requests, baselines, reference = [], [], []
    with _baseline_for(runner, baseline) as trusted:
        for _ in range(repeats):
            calls = [workload_args(spec, wl.make(rng, wl.m)) for _ in range(batch)]   # fresh inputs, every call
            ref_s, wants = _reference_batch(spec, calls)
            reference.extend(ref_s)
            slot = _slot(wants[0])
            if len(baselines) < BASELINE_REQUESTS or min(requests, default=1.0) <= min(baselines):
                base = trusted.measure(calls, wants[0], slot)
                if base is None:
                    return TierResult(None, None, clock=clock, message="not measured: the trusted baseline failed")
                baselines.append(base)
            outs, secs, clock, err = _timed(runner, spec.name, calls, slot)
            wrong = err or _disagreement(outs, wants)
            if wrong:
                return TierResult(None, None, clock=clock, message=f"a timed call failed ({wrong})")
            requests.append(secs)
            if len(requests) >= EARLY_AFTER and _beyond_doubt(requests, baselines, reference, batch, wl):
                break
    # Subtract the cheapest the request cost was ever seen to be: never more than it really costs.
    floor = min(baselines)
    student = [(secs - floor) / batch for secs in requests]
    if statistics.median(student) <= 0 or min(reference) <= 0:
        return TierResult(None, None, clock=clock, message="not measured: the timed requests took no longer "
                                                           "than the empty baseline (their median: an impossible time)")
    s_med, r_med = statistics.median(student), statistics.median(reference)
    ratio = s_med / r_med
    if ratio < IMPLAUSIBLE_RATIO:
        return TierResult(None, round(ratio, 3), s_med, r_med, clock,
                          f"not measured: {ratio:.2f}x the reference's time is not possible for this workload")
    return TierResult(classify(ratio, wl), round(ratio, 3), s_med, r_med, clock,
                      f"{s_med * 1e3:.2f} ms a call against the reference's {r_med * 1e3:.2f} ms "
                      f"({ratio:.1f}x, {clock} time)")
