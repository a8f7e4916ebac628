"""The reference's side of a tier: its timed calls pay for work, not for memory new to the process."""

from __future__ import annotations

import os
import resource
from types import SimpleNamespace

import numpy as np

from autograder.sandbox.runtime.memory import steady_allocator
from autograder.timing.measure import _reference_batch


def test_the_timed_reference_calls_write_memory_already_written():
    """A request keeps every reference answer (the student's are checked against them), so the calls
    that make them write memory new to the heap, or write-protected since a child was forked: page faults.
    The timed calls must not be those: here every call writes 4 MiB (1024 pages) and, after a fork, the
    timed ones may fault on a few pages only."""
    faults = []

    def reference(x):
        before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
        out = np.empty(2**19 + 7)    # 4 MiB and a little: a size nothing else asks for
        out[:] = x[0]
        faults.append(resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before)
        return out

    steady_allocator()   # as measure_tier does first
    spec = SimpleNamespace(reference=reference)
    calls = [(np.array([float(i)]),) for i in range(8)]
    read, write = os.pipe()
    pid = os.fork()   # a child alive meanwhile: every page of this process is now shared, written on copy
    if pid == 0:
        os.read(read, 1)
        os._exit(0)
    try:
        seconds, wants = _reference_batch(spec, calls)
    finally:
        os.write(write, b"x")
        os.waitpid(pid, 0)
    assert [float(w[0]) for w in wants] == [float(i) for i in range(8)]   # each call's own answer, kept
    assert len(seconds) == len(calls) and min(seconds) > 0
    untimed, timed = faults[:len(calls) + 1], faults[len(calls) + 1:]
    assert min(untimed[:len(calls)]) > 500, untimed    # the kept answers: new pages (the fault that was timed)
    assert max(timed) < 50, timed


def test_a_request_under_an_inflated_baseline_measures_the_baseline_again(monkeypatch):
    """The first two baselines came out inflated (noise), above the student's first request: rather than
    give up on an impossible time, the baseline is measured again and the floor falls to its true cost."""
    from autograder.exercises import registry
    from autograder.timing import measure as M

    exercise = next(e for e in registry.EXERCISES if e.slug == "pool")
    spec, wl = exercise.functions[0], exercise.workload
    ref = 1e-3                                          # the reference: 1 ms a call
    monkeypatch.setattr(M, "_reference_batch", lambda spec, calls: ([ref] * len(calls),
                                                                     [spec.reference(*c) for c in calls]))
    monkeypatch.setattr(M, "_single", lambda runner, name, args, want, msg: (3 * ref, "cpu", None))
    requests = iter([0.045, 0.058, 0.058, 0.058, 0.058])   # 16 calls at 3 ms and 10 ms around them
    monkeypatch.setattr(M, "_timed", lambda runner, name, calls, slot: (
        [spec.reference(*c) for c in calls], next(requests), "cpu", None))

    class Baseline:
        seen = iter([0.05, 0.05, 0.01, 0.01, 0.01])

        def measure(self, calls, like, slot):
            return next(self.seen)

    result = M.measure_tier(SimpleNamespace(timeout=30.0), spec, wl, seed=0, baseline=Baseline())
    assert result.tier == "fast" and 2.5 < result.ratio < 3.1, result   # (0.058 - 0.01) / 16 = 3 ms
