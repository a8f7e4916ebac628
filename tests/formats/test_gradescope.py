"""Gradescope's results.json from hand-made results: every key and type Gradescope's autograder
specification documents (gradescope/autograder_samples docs/specs.md), the grade model (tier points
are extra credit: a ``max_score`` 0 test), hidden cases after the due date, and what each kind of
exercise (passed with a tier, failed, borrowed, missing, not graded) becomes."""

from __future__ import annotations

import json

import pytest

from autograder.exercises import registry
from autograder.formats import FORMATS
from autograder.formats.gradescope import (STATUSES, TEXT_FORMATS, VISIBILITY, failure_results, gradescope_results,
                                           to_gradescope)
from autograder.grading.results import (Breakdown, CaseResult, ExerciseResult, RuleResult, Stage, Status,
                                        SubmissionResult, Tier)

# Gradescope's documented keys and their types, at each level (nothing else may appear)
TOP = {"score": (int, float), "execution_time": (int, float), "output": str, "output_format": str,
       "test_output_format": str, "test_name_format": str, "visibility": str, "stdout_visibility": str,
       "extra_data": dict, "tests": list, "leaderboard": list}
TEST = {"score": (int, float), "max_score": (int, float), "status": str, "name": str, "name_format": str,
        "number": str, "output": str, "output_format": str, "tags": list, "visibility": str, "extra_data": dict}
BOARD = {"name": str, "value": (int, float, str), "order": str}


def check_format(results: dict) -> None:
    """``results`` is a results.json as Gradescope documents it (shared with the bundle's tests)."""
    json.dumps(results)
    for key, value in results.items():
        assert key in TOP and isinstance(value, TOP[key]), key
    assert "score" in results or all("score" in t for t in results.get("tests", []))
    for key in ("visibility", "stdout_visibility"):
        assert results.get(key, "visible") in VISIBILITY
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert results.get(key, "text") in TEXT_FORMATS
    for test in results.get("tests", []):
        for key, value in test.items():
            assert key in TEST and isinstance(value, TEST[key]), (key, test)
            assert not isinstance(value, bool) or key not in ("score", "max_score"), (key, test)
        assert test.get("visibility", "visible") in VISIBILITY and test.get("status", "passed") in STATUSES
        assert all(isinstance(t, str) for t in test.get("tags", []))
    for entry in results.get("leaderboard", []):
        assert {"name", "value"} <= set(entry), entry
        for key, value in entry.items():
            assert key in BOARD and isinstance(value, BOARD[key]), entry
        assert entry.get("order", "desc") in ("asc", "desc")


def _case(name, passed, hidden=False, message="", note="", stage=Stage.VALUES, id=""):
    return CaseResult(name, hidden, passed, stage, message, note=note, id=id or name)


RULES = [RuleResult("loop-budget", True, "1 for loop (budget 2)"), RuleResult("forbidden-import", True, "only numpy"),
         RuleResult("forbidden-call", True, "no forbidden calls")]
HIDDEN_INPUT = "array([[31415.9265]])"   # what a hidden case held: never in any output


def _pool_fast() -> ExerciseResult:
    """pool: every case passes, tier fast (its whole tier points)."""
    ex = registry.get("pool")
    cases = [_case("public-1", True, note="the 4x4 worked example"), _case("public-2", True),
             _case("hidden-3", True, hidden=True, note="'same' padding"), _case("hidden-4", True, hidden=True)]
    points = Breakdown(ex.points.correctness, sum(ex.rule_points.values()), ex.tier_points(Tier.FAST))
    return ExerciseResult("pool", Status.PASSED, points.correctness + points.rules + points.tier, ex.max_score,
                          4, 4, tier=Tier.FAST, ratio=1.4, rules=list(RULES), message="4 of 4 cases pass.",
                          cases=cases, points=points, extra_credit_max=ex.points.tier)


def _gap_failing() -> ExerciseResult:
    """global_average_pool: one public and one hidden case fail, a diagnosis found; no workload."""
    ex = registry.get("global_average_pool")
    cases = [_case("public-1", True), _case("public-2", False, message="returned shape (2, 3); expected (2, 5)",
                                            stage=Stage.SHAPE),
             _case("hidden-3", False, hidden=True, stage=Stage.UNCHANGED,
                   message="`global_average_pool` on a hidden case (float32) changed its input"),
             _case("hidden-4", True, hidden=True)]
    points = Breakdown(ex.points.correctness * 2 / 4, sum(ex.rule_points.values()), 0.0)
    return ExerciseResult("global_average_pool", Status.FAILED, points.correctness + points.rules, ex.max_score, 2, 4,
                          rules=list(RULES), diagnoses=["input-mutated"], cases=cases, points=points,
                          message="2 of 4 cases pass. First failure, case public-2: returned shape (2, 3).")


def _result(*exercises, isolation=None) -> SubmissionResult:
    return SubmissionResult("gradescope-4242", "submission", list(exercises),
                            isolation=isolation or {"sandbox": "fallback", "layers": {"user": True}, "missing": [],
                                                    "notes": []})


def _tests_of(results, slug):
    return [t for t in results["tests"] if t["name"].startswith(f"{slug} · ")]


def test_the_format_is_gradescopes_and_the_score_is_the_sum_of_the_tests():
    results = gradescope_results(_result(_pool_fast(), _gap_failing()), execution_time=12.6)
    check_format(results)
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]), abs=1e-4)
    assert results["execution_time"] == 13 and results["stdout_visibility"] == "hidden"
    assert "visibility" not in results                           # Gradescope's default: shown
    assert results["output_format"] == results["test_output_format"] == results["test_name_format"] == "text"
    assert results["extra_data"]["student"] == "gradescope-4242"
    assert results["extra_data"]["isolation"]["sandbox"] == "fallback"
    assert len({t["number"] for t in results["tests"]}) == len(results["tests"])
    # the registered format writes the same object
    (fmt,) = [f for f in FORMATS if f.name == "gradescope"]
    assert json.loads(fmt.render(_result(_pool_fast()), "t"))["score"] == gradescope_results(
        _result(_pool_fast()))["score"]


def test_cases_split_the_correctness_points_and_hidden_ones_wait_for_the_due_date():
    results = gradescope_results(_result(_gap_failing()))
    ex = registry.get("global_average_pool")
    cases = [t for t in _tests_of(results, "global_average_pool") if "case" in t["extra_data"]]
    assert len(cases) == 4
    assert sum(t["max_score"] for t in cases) == pytest.approx(ex.points.correctness)
    assert sum(t["score"] for t in cases) == pytest.approx(ex.points.correctness / 2)
    assert [t["status"] for t in cases] == ["passed", "failed", "failed", "passed"]
    hidden = [t for t in cases if t["extra_data"]["hidden"]]
    assert [t["visibility"] for t in hidden] == ["after_due_date"] * 2
    assert all(t["visibility"] == "visible" for t in cases if t not in hidden)
    assert cases[1]["output"] == "failed (shape): returned shape (2, 3); expected (2, 5)"   # a public case's message
    assert cases[2]["output"].startswith("failed (unchanged): ") and "on a hidden case" in cases[2]["output"]
    assert all(t["tags"] == ["input-mutated"] for t in _tests_of(results, "global_average_pool"))
    assert cases[1]["name"] == "global_average_pool · public-2"


def test_a_hidden_case_shows_neither_its_note_nor_more_than_the_result_says():
    pool = _pool_fast()
    pool.cases[2].note = f"'same' padding on {HIDDEN_INPUT}"    # a hidden case's note may hold its values
    text = to_gradescope(_result(pool))
    assert HIDDEN_INPUT not in text
    names = [t["name"] for t in _tests_of(json.loads(text), "pool")]
    assert "pool · public-1 (the 4x4 worked example)" in names and "pool · hidden-3" in names


def test_rules_are_tests_worth_their_points():
    results = gradescope_results(_result(_gap_failing()))
    rules = {t["extra_data"]["rule"]: t for t in _tests_of(results, "global_average_pool") if "rule" in t["extra_data"]}
    assert {r: t["max_score"] for r, t in rules.items()} == registry.get("global_average_pool").rule_points
    assert all(t["score"] == t["max_score"] and t["status"] == "passed" for t in rules.values())
    assert rules["loop-budget"]["name"] == "global_average_pool · rule loop-budget"


def test_the_tier_is_an_extra_credit_test_and_the_maximum_never_counts_it():
    pool = _pool_fast()
    results = gradescope_results(_result(pool))
    ex = registry.get("pool")
    (speed,) = [t for t in _tests_of(results, "pool") if "speed" in t["name"]]
    assert speed["max_score"] == 0 and speed["score"] == pytest.approx(ex.points.tier) and speed["status"] == "passed"
    assert speed["extra_data"]["tier"] == "fast" and speed["extra_data"]["ratio"] == 1.4
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(ex.max_score)   # correctness + rules
    assert results["score"] == pytest.approx(ex.max_score + ex.points.tier)              # above the maximum
    assert results["extra_data"]["max_score"] == pytest.approx(ex.max_score)
    assert results["extra_data"]["extra_credit"] == pytest.approx(ex.points.tier)
    assert results["output"].startswith(f"convcourse: {ex.max_score + ex.points.tier:g} / {ex.max_score:g} (")
    assert "extra credit" in results["output"]
    # a failing exercise with a workload: the test is there, earning nothing, saying why
    pool.cases[0].passed, pool.points, pool.tier, pool.ratio, pool.status = False, Breakdown(), None, None, Status.FAILED
    (speed,) = [t for t in _tests_of(gradescope_results(_result(pool)), "pool") if "speed" in t["name"]]
    assert speed["score"] == 0 and speed["status"] == "failed" and "every case must pass" in speed["output"]
    # without perf no tier is on offer: no speed test
    pool.extra_credit_max = 0.0
    assert not [t for t in _tests_of(gradescope_results(_result(pool)), "pool") if "speed" in t["name"]]
    # nor for an exercise without a workload
    assert not [t for t in _tests_of(gradescope_results(_result(_gap_failing())), "global_average_pool")
                if "speed" in t["name"]]


def test_the_leaderboard_has_each_measured_ratio_and_the_total():
    results = gradescope_results(_result(_pool_fast(), _gap_failing()))
    board = {e["name"]: e for e in results["leaderboard"]}
    assert board["pool speed vs reference"] == {"name": "pool speed vs reference", "value": 1.4, "order": "asc"}
    assert board["total score"]["value"] == results["score"] and board["total score"]["order"] == "desc"
    assert len(board) == 2                                       # global_average_pool has no tier


def test_exercise_level_information_is_on_the_summary_and_in_extra_data():
    results = gradescope_results(_result(_pool_fast(), _gap_failing()))
    (summary,) = [t for t in _tests_of(results, "global_average_pool") if t["name"].endswith("· summary")]
    assert summary["max_score"] == summary["score"] == 0 and summary["status"] == "failed"
    assert summary["output"].startswith("2 of 4 cases pass.")
    assert summary["extra_data"]["diagnoses"] == ["input-mutated"]
    assert results["extra_data"]["exercises"]["pool"] == {"status": "passed", "tier": "fast", "ratio": 1.4,
                                                          "diagnoses": []}
    assert "Not passed yet: global_average_pool." in results["output"]
    assert "Hidden cases are shown after the due date." in results["output"]


def test_a_missing_or_ungraded_exercise_is_one_failed_test_that_says_why():
    missing = ExerciseResult("convolve", Status.MISSING, 0.0, 0.0, 0, 17,
                             message="No `convolve` found in the submission.", extra_credit_max=2.0)
    error = ExerciseResult("pool", Status.ERROR, 0.0, 0.0, 0, 14,
                           message="`pool` could not be loaded: SyntaxError at line 3.")
    results = gradescope_results(_result(missing, error))
    check_format(results)
    assert len(results["tests"]) == 2 and results["score"] == 0
    one, two = results["tests"]
    # the catalogue's maximum, whatever the result's own max_score says
    assert one["max_score"] == registry.get("convolve").max_score and one["status"] == "failed"
    assert one["output"] == "No `convolve` found in the submission." and one["name"] == "convolve · missing"
    assert two["max_score"] == registry.get("pool").max_score and "SyntaxError" in two["output"]
    assert two["name"] == "pool · not graded"
    assert results["leaderboard"] == [{"name": "total score", "value": 0, "order": "desc"}]


def test_a_borrowed_answer_earns_nothing_and_its_passing_cases_say_so():
    pool = _pool_fast()
    pool.borrowed, pool.points, pool.tier, pool.ratio = ["import autograder (line 1)"], Breakdown(), None, None
    pool.status = Status.FAILED
    results = gradescope_results(_result(pool))
    check_format(results)
    assert results["score"] == 0
    cases = [t for t in _tests_of(results, "pool") if "case" in t["extra_data"]]
    assert all(t["status"] == "failed" and "earns nothing" in t["output"] for t in cases)
    assert all(t["score"] == 0 for t in _tests_of(results, "pool"))


def test_a_result_without_any_grading_is_still_valid():
    results = failure_results("the folder holds no .py\nor .ipynb file", execution_time=0.2)
    check_format(results)
    assert results["score"] == 0 and results["tests"] == [] and results["execution_time"] == 0
    assert results["output"] == "convcourse could not grade this submission: the folder holds no .py or .ipynb file"
