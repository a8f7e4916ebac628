"""Every model solution scores full marks through the hardened path, within its loop budget."""

from __future__ import annotations

from pathlib import Path

from autograder.grading.grade import grade_path

ROOT = Path(__file__).resolve().parents[1]


def test_every_model_solution_scores_full_marks():
    result = grade_path(ROOT / "solutions", student="solutions-check")
    for e in result.exercises:
        assert e.status == "passed" and e.score == e.max_score, (e.slug, e.message)
        assert all(r.passed for r in e.rules), (e.slug, e.rules)
    assert result.score == result.max_score
