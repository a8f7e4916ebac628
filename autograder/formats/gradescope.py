"""Gradescope's autograder ``results.json``, from a :class:`~autograder.grading.results.SubmissionResult`.

Only fields of Gradescope's autograder specification are written. At the top: ``score``,
``execution_time``, ``output`` (with ``output_format``, ``test_output_format``, ``test_name_format``),
``stdout_visibility``, ``extra_data``, ``tests`` and ``leaderboard``; on each test: ``name``, ``number``,
``score``, ``max_score``, ``status``, ``output``, ``tags``, ``visibility`` and ``extra_data``.

Tests, for each exercise:

* a summary worth nothing, whose output is the exercise's message (what failed first, the diagnosis);
* one test per case, worth its share of the exercise's correctness points; a hidden case is shown
  ``after_due_date`` and says only what the result says of it (its verdict and its scrubbed message:
  its kind, never its inputs or the expected values);
* one test per rule (loop budget, imports, calls), worth its points;
* where a tier can be measured, the tier as an extra-credit test: ``max_score`` 0 and the tier points
  earned as its ``score``. Gradescope counts a score above the maximum as extra credit, which is the
  grade model of every format: tier points never count in the maximum;
* an exercise that is missing or could not be graded is one failed test worth its points, saying why.

The numbers come from the result's :class:`~autograder.grading.results.Breakdown` and the catalogue,
never from the result's ``max_score``: a test's maximum is the catalogue's correctness and rule points,
its score what the breakdown says was earned. The top-level ``score`` is the sum of the tests' scores
(extra credit included), so Gradescope shows the same total as every other format. ``tags`` are the
exercise's diagnosis ids; the leaderboard has each measured exercise's time against the reference's
(lower is faster) and the total. The grader's standard output is for instructors only.
"""

from __future__ import annotations

import json

from ..exercises import registry
from ..grading.results import ExerciseResult, Status, SubmissionResult, score_text, shown

__all__ = ["VISIBILITY", "STATUSES", "TEXT_FORMATS", "to_gradescope", "gradescope_results", "failure_results"]

#: The visibility values Gradescope documents, most hidden first.
VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")
#: The test statuses Gradescope documents.
STATUSES = ("passed", "failed")
#: The output formats Gradescope documents for ``output_format``, ``name_format`` and their defaults.
TEXT_FORMATS = ("text", "simple_format", "html", "md", "ansi")


def _status(passed: bool) -> str:
    return "passed" if passed else "failed"


def _tier_offered(e: ExerciseResult) -> float:
    """The tier points this exercise could earn in this run: the catalogue's, when perf was on and the
    exercise has a workload (the grader records that as ``extra_credit_max``, or by measuring a tier)."""
    ex = registry.get(e.slug)
    if ex.workload is None:
        return 0.0
    return ex.points.tier if (e.extra_credit_max or e.tier is not None) else 0.0


def _exercise_tests(e: ExerciseResult, number: int) -> list[dict]:
    ex = registry.get(e.slug)
    tags = list(e.diagnoses)
    about = {"exercise": e.slug, "status": str(e.status), "tier": e.tier and str(e.tier), "ratio": e.ratio,
             "diagnoses": list(e.diagnoses)}

    def test(suffix: str, name: str, score: float, max_score: float, passed: bool, output: str,
             visibility: str = "visible", **extra) -> dict:
        return {"name": name, "number": f"{number}.{suffix}" if suffix else f"{number}",
                "score": round(score, 6), "max_score": round(max_score, 6), "status": _status(passed),
                "output": output, "tags": tags, "visibility": visibility, "extra_data": dict(about, **extra)}

    if not e.cases:   # missing, or the submission could not run: nothing was tried, so say why
        what = "missing" if e.status == Status.MISSING else "not graded"
        why = e.message or ("No answer for this exercise was found." if e.status == Status.MISSING
                            else "The grader could not grade this exercise.")
        return [test("", f"{e.slug} · {what}", 0.0, ex.max_score, False, why)]

    passed = sum(c.passed for c in e.cases)
    share = ex.points.correctness / len(e.cases)
    borrowed = bool(e.borrowed)
    tests = [test("0", f"{e.slug} · summary", 0.0, 0.0, e.status == Status.PASSED,
                  e.message or f"{passed} of {len(e.cases)} cases pass.")]
    for j, c in enumerate(e.cases, 1):
        # the correctness earned, spread over the passing cases (a borrowed answer earns none)
        score = e.points.correctness / passed if c.passed and passed else 0.0
        label = "" if c.hidden or not c.note else f" ({c.note})"   # a hidden case's note may hold its values
        if c.passed and borrowed:
            output = "passed, but earns nothing: the exercise's answer is the course's own code, not yours"
        elif c.passed:
            output = "passed"
        else:
            output = f"failed ({c.stage}): {c.message}" if c.message else f"failed ({c.stage})"
        tests.append(test(f"{j}", f"{e.slug} · {c.name}{label}", score, share, c.passed and not borrowed, output,
                          "after_due_date" if c.hidden else "visible", case=c.id, hidden=c.hidden,
                          stage=str(c.stage)))
    for k, r in enumerate(e.rules, len(e.cases) + 1):
        worth = ex.rule_points.get(r.id, 0.0)
        earned = worth if r.passed and e.points.rules > 0 else 0.0   # rules earn only beside a passing case
        output = r.message if earned or not r.passed or not worth else \
            f"{r.message} (kept, but a rule earns its points only once a case passes)"
        tests.append(test(f"{k}", f"{e.slug} · rule {r.id}", earned, worth, r.passed, output, rule=r.id))
    offered = _tier_offered(e)
    if offered:
        if e.tier is not None and e.ratio is not None:
            output = f"tier {e.tier}: {e.ratio:.2f}x the reference's time, {shown(e.points.tier)} extra credit"
        elif e.tier is not None:
            output = f"tier {e.tier}: {shown(e.points.tier)} extra credit"
        else:
            output = "no tier measured: every case must pass first"
        tests.append(test(f"{len(e.cases) + len(e.rules) + 1}",
                          f"{e.slug} · speed (extra credit, up to {shown(offered)})", e.points.tier, 0.0,
                          e.points.tier > 0, output, tier_points_offered=offered))
    return tests


def gradescope_results(result: SubmissionResult, execution_time: float | None = None) -> dict:
    """The results object (see the module's docstring); ``execution_time`` in seconds."""
    tests = [t for i, e in enumerate(result.exercises, 1) for t in _exercise_tests(e, i)]
    score = round(sum(t["score"] for t in tests), 4)
    base_max = sum(registry.get(e.slug).max_score for e in result.exercises)
    extra = sum(e.points.tier for e in result.exercises)
    extra_max = sum(_tier_offered(e) for e in result.exercises)
    board = [{"name": f"{e.slug} speed vs reference", "value": round(e.ratio, 3), "order": "asc"}
             for e in result.exercises if e.ratio is not None and e.tier]
    board.append({"name": "total score", "value": score, "order": "desc"})
    failed = [e.slug for e in result.exercises if e.status != Status.PASSED]
    hidden = any(c.hidden for e in result.exercises for c in e.cases)
    out = {
        "score": score,
        "output": (f"convcourse: {score_text(score, base_max, extra, extra_max)}."
                   + (f" Not passed yet: {', '.join(failed)}." if failed else " Every exercise passes.")
                   + (" Hidden cases are shown after the due date." if hidden else "")),
        # plain text everywhere: messages quote what the student's code returned, never to be rendered
        "output_format": "text", "test_output_format": "text", "test_name_format": "text",
        "stdout_visibility": "hidden",
        "extra_data": {"student": result.student, "max_score": round(base_max, 4), "extra_credit": round(extra, 4),
                       "extra_credit_max": round(extra_max, 4), "isolation": result.isolation,
                       "exercises": {e.slug: {"status": str(e.status), "tier": e.tier and str(e.tier),
                                              "ratio": e.ratio, "diagnoses": list(e.diagnoses)}
                                     for e in result.exercises}},
        "tests": tests,
        "leaderboard": board,
    }
    if execution_time is not None:
        out["execution_time"] = max(0, round(execution_time))
    return out


def failure_results(reason: str, execution_time: float | None = None) -> dict:
    """A valid results object for a submission that could not be graded at all: score 0 and why (one line)."""
    out = {"score": 0.0, "output": f"convcourse could not grade this submission: {' '.join(reason.split())}",
           "output_format": "text", "stdout_visibility": "hidden", "tests": []}
    if execution_time is not None:
        out["execution_time"] = max(0, round(execution_time))
    return out


def to_gradescope(result: SubmissionResult, execution_time: float | None = None) -> str:
    return json.dumps(gradescope_results(result, execution_time), indent=2)
