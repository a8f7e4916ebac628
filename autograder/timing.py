"""Time a submission against the reference on a standard workload, and give it a tier (SPEC §3).

The student's function runs in the child (single-threaded: every thread pool pinned to one) and is timed
from outside it (:meth:`~.sandbox.Runner.timed_call`); the reference runs here in its single-thread mode.
The two alternate, each repeat on fresh inputs, and every timed output is checked against the reference,
so neither a cached result nor a lazy one helps. A small probe goes first: a submission that could not
finish the workload in :data:`~.tiers.MAX_SECONDS` is ``too-slow`` after seconds, not minutes.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from .compare import close_enough
from .reference import single_threaded
from .reference.memory import steady_allocator
from .tiers import MAX_SECONDS, PROBE_ONLY_SECONDS, WORKLOADS, classify, workload_args

__all__ = ["TierResult", "measure_tier"]


@dataclass
class TierResult:
    tier: str | None
    ratio: float | None
    student_seconds: float | None = None
    reference_seconds: float | None = None
    clock: str = ""
    message: str = ""


def _reference_seconds(spec, args) -> tuple[float, object]:
    with single_threaded():
        t0 = time.thread_time()
        w0 = time.perf_counter()
        out = spec.reference(*args)
        cpu, wall = time.thread_time() - t0, time.perf_counter() - w0
    return (cpu if cpu > 0 else wall), out


def _agrees(got, want) -> bool:
    return (isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind == "f"
            and bool(close_enough(got, want, 9 * 64, 1.0 + float(np.abs(want).max(initial=0))).all()))


def measure_tier(runner, spec, workload_name: str, seed: int = 0, repeats: int = 7) -> TierResult:
    """Tier of the student's ``spec.name`` on workload ``workload_name`` (see module docstring)."""
    steady_allocator()
    wl = WORKLOADS[workload_name]
    rng = np.random.default_rng(seed)

    # One untimed call first: a submission that compiles (Numba) or caches on first use pays that once,
    # as the reference did at set-up; its answer is still checked.
    warm_args = workload_args(spec, wl.make(rng, 1))
    warm = runner.call(spec.name, warm_args)
    if warm.ok and not _agrees(warm.value, spec.reference(*warm_args)):
        return TierResult(None, None, message="wrong answer on the timing workload")
    probe_args = workload_args(spec, wl.make(rng, wl.probe))
    _, probe_ref = _reference_seconds(spec, probe_args)
    outcome, probe_s, clock = runner.timed_call(spec.name, probe_args)
    if not outcome.ok:
        kind = (outcome.error or {}).get("type")
        if kind == "Timeout":
            return TierResult("too-slow", None, clock=clock,
                              message=f"{wl.probe} of the workload's {wl.m} images took over {runner.timeout:g} s")
        return TierResult(None, None, clock=clock, message=f"the workload's probe raised {kind}")
    if not _agrees(outcome.value, probe_ref):
        return TierResult(None, None, clock=clock, message="wrong answer on the timing workload")
    predicted = probe_s * wl.m / wl.probe
    if predicted > MAX_SECONDS:
        return TierResult("too-slow", None, student_seconds=predicted, clock=clock,
                          message=f"the whole workload would take about {predicted:.0f} s (limit {MAX_SECONDS:g} s)")
    if predicted > PROBE_ONLY_SECONDS:
        # Hopelessly slow but finite: the probe's ratio (hundreds or more) decides; no repeats needed.
        ref_probe = min(_reference_seconds(spec, probe_args)[0] for _ in range(5))
        ratio = probe_s / ref_probe
        return TierResult(classify(ratio), round(ratio, 1), predicted, ref_probe * wl.m / wl.probe, clock,
                          f"about {predicted:.1f} s for the whole workload ({ratio:.0f}x the reference, from "
                          f"a probe of {wl.probe} images)")

    student, reference = [], []
    overhead = None
    for _ in range(repeats):
        args = workload_args(spec, wl.make(rng, wl.m))       # fresh inputs for every timed call
        ref_s, want = _reference_seconds(spec, args)
        if overhead is None:
            overhead = runner.echo_cost(args, want)
        outcome, secs, clock = runner.timed_call(spec.name, args)
        if not outcome.ok or not _agrees(outcome.value, want):
            return TierResult(None, None, clock=clock, message="a timed call failed or gave a wrong answer")
        student.append(max(secs - overhead, 1e-7))
        reference.append(ref_s)
    s_med, r_med = statistics.median(student), statistics.median(reference)
    ratio = s_med / r_med
    tier = classify(ratio)
    return TierResult(tier, round(ratio, 3), s_med, r_med, clock,
                      f"{s_med * 1e3:.2f} ms against the reference's {r_med * 1e3:.2f} ms ({ratio:.1f}x, {clock} time)")
