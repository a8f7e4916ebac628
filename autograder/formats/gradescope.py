"""Gradescope's autograder ``results.json``: one test per exercise, hidden cases never shown."""

from __future__ import annotations

import json

from ..grading.results import SubmissionResult

__all__ = ["to_gradescope"]


def to_gradescope(result: SubmissionResult) -> str:
    tests = []
    for e in result.exercises:
        lines = [e.message]
        for c in e.cases:
            if not c.passed and not c.hidden:
                lines.append(f"{c.name}: {c.message}")
        hidden_failed = sum(1 for c in e.cases if c.hidden and not c.passed)
        if hidden_failed:
            lines.append(f"{hidden_failed} hidden case(s) fail.")
        tests.append({
            "name": e.slug, "score": e.score, "max_score": e.max_score,
            "status": "passed" if e.status == "passed" else "failed",
            "output": "\n".join(lines), "visibility": "visible",
        })
    return json.dumps({"score": round(result.score, 4), "tests": tests,
                       "output": f"convcourse: {result.score:g} / {result.max_score:g}"}, indent=2)
