"""Performance tiers: thresholds, workloads, and the timing pipeline end to end.

Speed targets are measured by `python benchmarks/tiers.py`, not here; these tests check that the pipeline
gives a tier at all, and that classes far from every threshold (pure Python loops, at hundreds of times
the reference against a bound below 100) land where they must.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autograder.exercises import registry
from autograder.grading.grade import grade_path
from autograder.sandbox import Runner
from autograder.grading.submission import Source, Submission
from autograder.timing.tiers import classify, workload_args, workloads
from autograder.timing.measure import measure_tier

ROOT = Path(__file__).resolve().parents[2]
TIERED = [e for e in registry.EXERCISES if e.workload]


def test_thresholds_are_ordered_and_classify_uses_them():
    for workload in workloads().values():
        values = [b for _, b in workload.bounds]
        assert values == sorted(values) and values[0] > 1.0, workload
        assert classify(1.0, workload) == "reference-class"
        assert classify(values[0] * 1.01, workload) == "fast"
        assert classify(values[-1] * 1.01, workload) == "loops"


@pytest.mark.parametrize("exercise", TIERED, ids=[e.slug for e in TIERED])
def test_every_tiered_exercise_has_a_workload_the_reference_accepts(exercise):
    wl = exercise.workload
    spec = exercise.functions[0]
    args = workload_args(spec, wl.make(np.random.default_rng(0), 2))
    out = spec.reference(*args)
    first = out[0] if isinstance(out, tuple) else out   # a tuple result: its first part is per image
    assert first.shape[0] == 2 and first.dtype == np.float64


def _backward_source(bias_in_big_batches: str) -> str:
    return f"""
import numpy as np

def convolve_backward(d_out, images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    t, l = (kh - 1) // 2, (kw - 1) // 2
    x = np.pad(images.astype(np.float64), ((0, 0), (t, kh - 1 - t), (l, kw - 1 - l), (0, 0)))
    dx, dk = np.zeros(x.shape), np.zeros(kernels.shape)
    for i in range(kh):
        for j in range(kw):
            dk[i, j] = np.einsum("mhwc,mhwn->cn", x[:, i:i + h, j:j + w], d_out)
            dx[:, i:i + h, j:j + w] += np.einsum("mhwn,cn->mhwc", d_out, kernels[i, j])
    d_bias = d_out.sum(axis=(0, 1, 2))
    if m > 1:
        d_bias = {bias_in_big_batches}
    return dx[:, t:t + h, l:l + w], dk, d_bias
"""


@pytest.mark.parametrize("bias, tiered", [("d_bias", True), ("d_bias * 0", False)])
def test_a_function_with_several_results_is_timed_and_every_part_checked(bias, tiered):
    """convolve_backward's three results come back through the shared file; a wrong d_bias only in the
    timed (large) calls gives no tier."""
    exercise = registry.get("convolve_backward")
    sub = Submission("taps.py", [Source("taps.py", _backward_source(bias), "taps.py")])
    with Runner(sub, ["convolve_backward"]) as runner:
        runner.start()
        result = measure_tier(runner, exercise.function("convolve_backward"), exercise.workload, repeats=2, batch=1)
    if tiered:
        assert result.tier in ("fast", "vectorized", "reference-class") and result.ratio > 0, result
    else:
        assert result.tier is None and "wrong answer" in result.message, result


def _canonical(name):
    folder = ROOT / "benchmarks" / "canonical"
    return Submission(name, [Source("_same.py", (folder / "_same.py").read_text(), str(folder / "_same.py")),
                             Source(f"{name}.py", (folder / f"{name}.py").read_text(), str(folder / f"{name}.py"))])


def test_pure_python_loops_are_loops():
    exercise = registry.get("convolve_grayscale_same")
    with Runner(_canonical("pure_loops"), ["convolve_grayscale_same"]) as runner:
        runner.start()
        result = measure_tier(runner, exercise.function("convolve_grayscale_same"), exercise.workload)
    assert result.tier == "loops" and result.ratio > exercise.workload.bounds[-1][1], result


def test_model_solutions_get_a_tier_and_its_points():
    result = grade_path(ROOT / "solutions", slugs=["convolve", "pool"], perf=True)
    for e in result.exercises:
        assert e.tier in ("fast", "reference-class", "vectorized"), (e.slug, e.message)
        exercise = registry.get(e.slug)
        # the tier is extra credit: offered when timed, earned on top of max_score, never part of it
        assert e.max_score == exercise.max_score and e.extra_credit_max == exercise.points.tier
        assert e.extra_credit == exercise.tier_points(e.tier) > 0 and e.score == e.max_score + e.extra_credit
        assert e.ratio > 0


def test_the_timed_requests_stop_early_only_when_no_bound_is_in_doubt():
    from autograder.timing.measure import EARLY_MARGIN, IMPLAUSIBLE_RATIO, _beyond_doubt

    wl = workloads()["bank"]
    (_, ref_bound), (_, fast_bound), _ = wl.bounds
    reference = [1e-3] * 32            # the reference's calls: 1 ms each
    batch, base = 16, [2e-4, 3e-4]     # the trusted baseline's requests

    def requests(*ratios):             # a request of `batch` calls at each ratio, its baseline included
        return [r * 1e-3 * batch + max(base) for r in ratios]

    middle = (ref_bound * fast_bound) ** 0.5   # far from both of fast's bounds
    assert _beyond_doubt(requests(middle, middle * 1.1), base, reference, batch, wl)
    # a request near a bound, or two on either side of one, leave the tier in doubt: keep measuring
    assert not _beyond_doubt(requests(middle, fast_bound / EARLY_MARGIN * 1.05), base, reference, batch, wl)
    assert not _beyond_doubt(requests(ref_bound * 0.9, ref_bound * 1.1), base, reference, batch, wl)
    # the fastest tier has no lower bound but the implausible one: an impossibly fast time never stops early
    assert _beyond_doubt(requests(ref_bound / 2, ref_bound / 2.2), base, reference, batch, wl)
    assert not _beyond_doubt(requests(IMPLAUSIBLE_RATIO, IMPLAUSIBLE_RATIO), base, reference, batch, wl)
    # the slowest tier has no upper bound
    assert _beyond_doubt(requests(wl.bounds[-1][1] * 2, wl.bounds[-1][1] * 5), base, reference, batch, wl)
