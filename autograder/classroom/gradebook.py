"""Write a class run's scores into nbgrader's gradebook, through nbgrader's own API, for formgrader.

Each graded exercise has a grade cell ``autograde-<slug>`` in its notebook (see the lessons). Its
``auto_score`` becomes the hardened grader's correctness + rules points for that exercise (the same
points the notebook cell gives); the performance tier's points, which only the hardened grader
measures, go to the cell's ``extra_credit``. Written after ``nbgrader autograde``, these scores replace
the ones it computed in the student's kernel.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..exercises import registry
from ..grading.results import SubmissionResult

__all__ = ["Written", "write_scores"]


@dataclass
class Written:
    updated: int = 0                                        # grade cells written
    skipped: list[str] = field(default_factory=list)        # one line per submission not written, and why


def _split(exercise_result) -> tuple[float, float]:
    """(correctness + rules points, tier points) of one exercise's result."""
    tier = registry.get(exercise_result.slug).tier_points(exercise_result.tier)
    return exercise_result.score - tier, tier


def write_scores(db_url: str, rows: list[tuple[str, str, SubmissionResult]], course_id: str = "") -> Written:
    """Write ``(student, assignment, result)`` rows into the gradebook at ``db_url``.

    The assignment must be in the gradebook (``nbgrader generate_assignment`` puts it there); students
    and their submission records are created when missing, as ``nbgrader autograde`` would.
    """
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    if db_url.startswith("sqlite:///") and not Path(db_url.removeprefix("sqlite:///")).is_file():
        raise FileNotFoundError(f"no gradebook at {db_url.removeprefix('sqlite:///')}: run `nbgrader "
                                "generate_assignment` in the course folder first (it creates the gradebook)")

    written = Written()
    with warnings.catch_warnings(), Gradebook(db_url, course_id) as gb:
        # nbgrader's own add_submission trips SQLAlchemy's autoflush warning; the rows are written all the same
        warnings.simplefilter("ignore", SAWarning)
        for student, assignment, result in rows:
            if not assignment:
                written.skipped.append(f"{student}: not an nbgrader submission (no assignment folder)")
                continue
            try:
                nb_assignment = gb.find_assignment(assignment)
            except MissingEntry:
                written.skipped.append(f"{student}/{assignment}: assignment not in the gradebook "
                                       "(run `nbgrader generate_assignment` first)")
                continue
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment, student)
            cells = {cell.name: (nb.name, cell) for nb in nb_assignment.notebooks for cell in nb.grade_cells}
            for e in result.exercises:
                if f"autograde-{e.slug}" not in cells:
                    continue
                notebook, cell = cells[f"autograde-{e.slug}"]
                grade = gb.find_grade(cell.name, notebook, assignment, student)
                base, tier = _split(e)
                grade.auto_score = round(min(max(base, 0.0), cell.max_score), 4)
                grade.extra_credit = round(tier, 4) or None
                grade.needs_manual_grade = False
                written.updated += 1
            gb.db.commit()
    return written
