"""The golden suite: every sample submission in tests/submissions/ gets exactly the verdicts its
expected.json states, and every exercise it does not mention is reported missing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autograder import registry
from autograder.diagnose import MISCONCEPTIONS
from autograder.grade import grade_path

HERE = Path(__file__).parent / "submissions"
CASES = sorted(p.name for p in HERE.iterdir() if (p / "expected.json").exists())


@pytest.fixture(scope="module")
def graded():
    return {name: grade_path(HERE / name, student="golden") for name in CASES}


@pytest.mark.parametrize("name", CASES)
def test_verdicts(graded, name):
    expected = json.loads((HERE / name / "expected.json").read_text())["exercises"]
    result = {e.slug: e for e in graded[name].exercises}
    assert list(result) == [e.slug for e in registry.EXERCISES]   # every exercise appears
    for slug, exercise in result.items():
        want = expected.get(slug, {"status": "missing"})
        assert exercise.status == want["status"], (slug, exercise.status, exercise.message)
        for d in want.get("diagnoses", []):
            assert d in exercise.diagnoses, (slug, exercise.diagnoses, exercise.message)
        if "stage" in want:
            failing = [c for c in exercise.cases if not c.passed]
            assert failing and failing[0].stage == want["stage"], (slug, [(c.stage, c.message) for c in failing[:2]])
        if "message" in want:
            assert want["message"] in exercise.message, exercise.message
        if "rules_failed" in want:
            assert sorted(r.id for r in exercise.rules if not r.passed) == sorted(want["rules_failed"]), exercise.rules
            assert all(r.line for r in exercise.rules if not r.passed)
        if "needs" in want:
            needing = [c for c in exercise.cases if f"needs the `{want['needs']}` parameter" in c.message]
            assert needing and all(not c.passed for c in needing)
            assert all(c.passed for c in exercise.cases if c not in needing), exercise.message
        if "passed" in want:
            assert exercise.passed == want["passed"], (exercise.passed, exercise.total)
        if want["status"] == "passed" and "rules_failed" not in want:
            assert exercise.score == exercise.max_score
            assert all(r.passed for r in exercise.rules)


def test_every_diagnosis_is_demonstrated():
    shown = set()
    for name in CASES:
        for want in json.loads((HERE / name / "expected.json").read_text())["exercises"].values():
            shown.update(want.get("diagnoses", []))
    assert shown == set(MISCONCEPTIONS), set(MISCONCEPTIONS) - shown


def test_hidden_failures_never_show_expected_values(graded):
    for result in graded.values():
        for e in result.exercises:
            for c in e.cases:
                if c.hidden and not c.passed and c.stage == "values":
                    assert "expected" not in c.message, c.message
                if c.hidden and not c.passed and c.stage != "runs":  # "runs" quotes the student's own error
                    assert not re.search(r"expected (the int )?-?\d", c.message), c.message
