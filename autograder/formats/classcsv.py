"""A class's results as one CSV: a row per submission, a score and a tier column per exercise.

The grade model is nbgrader's: ``score`` includes the tier points earned, ``max_score`` does not (they are
extra credit, in their own ``extra_credit`` column too), so a score may exceed its maximum."""

from __future__ import annotations

import csv
import io

from ..exercises import registry
from ..grading.results import SubmissionResult, shown

__all__ = ["to_class_csv"]


def to_class_csv(rows: list[tuple[str, str, SubmissionResult]]) -> str:
    """``rows`` are ``(student, assignment or "", result)``; exercises in catalogue order, blank where a
    submission was not graded on one (another assignment)."""
    graded = {e.slug for _, _, r in rows for e in r.exercises}
    slugs = [e.slug for e in registry.EXERCISES if e.slug in graded]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "assignment", "score", "max_score", "extra_credit"]
                    + [col for s in slugs for col in (s, f"{s}_max", f"{s}_tier", f"{s}_diagnosis")])
    for student, assignment, result in rows:
        by_slug = {e.slug: e for e in result.exercises}
        cells = []
        for s in slugs:
            e = by_slug.get(s)
            cells += ["", "", "", ""] if e is None else \
                [shown(e.score), shown(e.max_score), e.tier or "", e.diagnoses[0] if e.diagnoses else ""]
        writer.writerow([student, assignment, shown(result.score), shown(result.max_score),
                         shown(result.extra_credit), *cells])
    return out.getvalue()
