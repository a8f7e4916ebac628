"""Whatever goes wrong while grading one case or one exercise costs that case or that exercise only."""

from __future__ import annotations

from pathlib import Path

import autograder.grading.core as core
import autograder.grading.grade as grade
from autograder.grading.grade import grade_path

SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "04_pooling.py"


def test_a_case_the_grader_cannot_check_fails_alone(monkeypatch):
    real, calls = core.judge, []

    def flaky(exercise, case, *args, **kwargs):
        calls.append(case.name)
        if len(calls) == 2:
            raise MemoryError("as a hostile value might make it")
        return real(exercise, case, *args, **kwargs)

    monkeypatch.setattr(core, "judge", flaky)
    (pool,) = grade_path(SOLUTION, slugs=["pool"], timeout=5.0).exercises
    failed = [c for c in pool.cases if not c.passed]
    assert [c.name for c in failed] == [calls[1]]
    assert "the grader could not check what `pool` returned (MemoryError)" in failed[0].message
    assert pool.passed == pool.total - 1


def test_an_exercise_the_grader_cannot_grade_is_an_error_and_the_others_are_graded(monkeypatch):
    real = grade.run_cases

    def broken(grading, cases, *args, **kwargs):
        if grading.exercise.slug == "pool" and any(c.hidden for c in cases):   # in the second round
            raise RecursionError("deep inside")
        return real(grading, cases, *args, **kwargs)

    monkeypatch.setattr(grade, "run_cases", broken)
    result = grade_path(SOLUTION, slugs=["pool", "global_average_pool"], timeout=5.0)
    pool, gap = result.exercises
    assert pool.status == "error" and "could not grade this exercise" in pool.message and pool.score == 0
    assert pool.max_score > 0 and pool.total > 0
    assert gap.status == "passed"
