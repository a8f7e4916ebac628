"""The demo's side-by-side table: its 'why' column names the failure, not the call."""

from __future__ import annotations

from autograder.classroom.classdemo import STUDENTS, _after_call, _why
from autograder.grading.results import CaseResult, ExerciseResult, RuleResult, SubmissionResult
from autograder.classroom.sampleclass import KINDS


def test_every_kind_of_student_is_in_the_demo():
    assert sorted(STUDENTS.values()) == sorted(KINDS)


def test_the_why_column():
    assert _after_call("f(images (1, 5, 5) float64, kernel (3, 3) float64) did not return within 10 s") == \
        "did not return within 10 s"
    assert _after_call("no call here") == "no call here"
    hung = ExerciseResult("convolve_grayscale_same", "failed", 0, 10, 0, 1, cases=[
        CaseResult("public-1", False, False, "runs", "convolve_grayscale_same(images (1, 5, 5)) did not return "
                                                     "within 10 s")],
        rules=[RuleResult("forbidden-import", False, "numba is not allowed")])
    passed = ExerciseResult("output_size", "passed", 3, 3, 1, 1)
    result = SubmissionResult("erin", "x", [passed, hung])
    assert _why(result) == "convolve_grayscale_same: did not return within 10 s; rules: numba is not allowed"
    wrong = ExerciseResult("convolve_grayscale_same", "failed", 0, 10, 0, 1, diagnoses=["same-padding-plus-one"])
    assert _why(SubmissionResult("carol", "x", [wrong])) == "convolve_grayscale_same: same-padding-plus-one"
    assert _why(SubmissionResult("alice", "x", [passed])) == ""


def test_the_why_column_of_code_that_could_not_load():
    broke = ExerciseResult("convolve_grayscale_same", "error", 0, 10, 0, 11, message=(
        "`convolve_grayscale_same` could not be loaded: running n.ipynb raised ModuleNotFoundError: No module "
        "named 'numba': the grader runs your code with only ..."))
    assert _why(SubmissionResult("erin", "x", [broke])).startswith(
        "convolve_grayscale_same: ModuleNotFoundError: No module named 'numba'")
