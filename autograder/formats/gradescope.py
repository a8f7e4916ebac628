"""Gradescope's autograder ``results.json``: one test per case, per rule and per tier.

The fields are those of Gradescope's autograder specification (``score``, ``execution_time``, ``output``,
``stdout_visibility``, ``extra_data``, ``tests`` with ``name``, ``number``, ``score``, ``max_score``,
``status``, ``output``, ``tags``, ``visibility``, ``extra_data``, and ``leaderboard``):

* each case is a test worth its share of the exercise's correctness points; a hidden case is shown
  ``after_due_date`` and says only what the result says of it (its kind, never its inputs);
* each rule (loop budget, imports, calls) is a test worth its points;
* the performance tier is an extra-credit test, ``max_score`` 0: Gradescope adds a score above the
  maximum as extra credit, which is the grade model of every format (tier points never count in the
  maximum);
* an exercise that is missing or did not run is one failed test, worth the exercise's points;
* ``tags`` are the diagnosis ids, ``extra_data`` the tier, ratio and diagnoses, the leaderboard each
  exercise's time against the reference's (lower is faster) and the score;
* the grader's standard output is for instructors only (``stdout_visibility`` hidden).

The top-level ``score`` is the sum of the tests' scores, so Gradescope shows the same total.
"""

from __future__ import annotations

import json

from ..exercises import registry
from ..grading.results import ExerciseResult, Status, SubmissionResult, shown

__all__ = ["VISIBILITY", "to_gradescope", "gradescope_results"]

#: The visibility values Gradescope documents, most hidden first.
VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")


def _exercise_tests(e: ExerciseResult, number: int) -> list[dict]:
    ex = registry.get(e.slug)
    tags = list(e.diagnoses)
    about = {"exercise": e.slug, "status": str(e.status), "tier": e.tier and str(e.tier), "ratio": e.ratio,
             "diagnoses": list(e.diagnoses)}
    if not e.cases:   # missing, or the submission could not run: nothing was tried
        return [{"name": f"{e.slug}: {e.status}", "number": f"{number}", "score": 0.0,
                 "max_score": round(e.max_score, 4), "status": "failed", "output": e.message, "tags": tags,
                 "visibility": "visible", "extra_data": about}]
    tests = []
    passed = sum(c.passed for c in e.cases)
    share = ex.points.correctness / len(e.cases)
    for j, c in enumerate(e.cases, 1):
        # the correctness points earned, spread over the cases that passed (none at all for a borrowed answer)
        score = e.points.correctness / passed if c.passed and passed else 0.0
        what = "" if c.hidden or not c.note else f" ({c.note})"
        tests.append({"name": f"{e.slug} · {c.name}{what}", "number": f"{number}.{j}", "score": round(score, 6),
                      "max_score": round(share, 6), "status": "passed" if c.passed else "failed",
                      "output": c.message or ("passed" if c.passed else "failed"),
                      "tags": tags, "visibility": "after_due_date" if c.hidden else "visible",
                      "extra_data": dict(about, case=c.id, hidden=c.hidden, stage=str(c.stage))})
    for k, r in enumerate(e.rules, len(e.cases) + 1):
        worth = ex.rule_points.get(r.id, 0.0)
        earned = worth if r.passed and e.points.rules > 0 else 0.0   # rules earn only beside a passing case
        tests.append({"name": f"{e.slug} · rule {r.id}", "number": f"{number}.{k}", "score": round(earned, 4),
                      "max_score": round(worth, 4), "status": "passed" if r.passed else "failed",
                      "output": r.message, "tags": tags, "visibility": "visible",
                      "extra_data": dict(about, rule=r.id)})
    if e.extra_credit_max:
        tier = (f"tier {e.tier}: {e.ratio:.2f}x the reference's time" if e.tier and e.ratio is not None
                else "no tier measured (every case must pass first)")
        tests.append({"name": f"{e.slug} · speed (extra credit, up to {shown(e.extra_credit_max)})",
                      "number": f"{number}.{len(e.cases) + len(e.rules) + 1}", "score": round(e.extra_credit, 4),
                      "max_score": 0.0, "status": "passed" if e.extra_credit else "failed", "output": tier,
                      "tags": tags, "visibility": "visible", "extra_data": about})
    return tests


def gradescope_results(result: SubmissionResult, execution_time: float | None = None) -> dict:
    """The results object (see the module's docstring); ``execution_time`` in seconds."""
    tests = [t for i, e in enumerate(result.exercises, 1) for t in _exercise_tests(e, i)]
    board = [{"name": f"{e.slug}: time vs reference", "value": round(e.ratio, 3), "order": "asc"}
             for e in result.exercises if e.ratio is not None and e.tier]
    board.append({"name": "score", "value": round(result.score, 4), "order": "desc"})
    failed = [e.slug for e in result.exercises if e.status != Status.PASSED]
    out = {
        "score": round(sum(t["score"] for t in tests), 4),
        "output": (f"convcourse: {result.score_text()}."
                   + (f" Not passed yet: {', '.join(failed)}." if failed else " Every exercise passes.")
                   + " Hidden cases are shown after the due date."),
        "stdout_visibility": "hidden",
        "extra_data": {"student": result.student, "max_score": round(result.max_score, 4),
                       "extra_credit": round(result.extra_credit, 4),
                       "extra_credit_max": round(result.extra_credit_max, 4), "isolation": result.isolation},
        "tests": tests,
        "leaderboard": board,
    }
    if execution_time is not None:
        out["execution_time"] = max(0, round(execution_time))
    return out


def to_gradescope(result: SubmissionResult, execution_time: float | None = None) -> str:
    return json.dumps(gradescope_results(result, execution_time), indent=2)
