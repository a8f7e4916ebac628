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
    assert out.shape[0] == 2 and out.dtype == np.float64


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
        assert e.max_score == exercise.max_score + exercise.points.tier   # the tier counts when timed
        assert e.score >= e.max_score - exercise.points.tier / 2 and e.ratio > 0
