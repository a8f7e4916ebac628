"""Write a class run's scores into nbgrader's gradebook, through nbgrader's own API, for formgrader.

Each graded exercise has a grade cell ``autograde-<slug>`` in its notebook (see the lessons). Its
``auto_score`` becomes the hardened grader's correctness + rules points for that exercise (the same
points the notebook cell gives); the performance tier's points, which only the hardened grader
measures, go to the cell's ``extra_credit``: the one grade model of every format (tier points are extra
credit). Written after ``nbgrader autograde``, these scores replace the ones it computed in the student's
kernel, and the grade cell's output in the autograded notebook is replaced by the hardened grader's, so
that ``nbgrader generate_feedback`` never shows "Points: 8 of 8" beside a score of 0.

Extra credit that an instructor gives by hand in formgrader survives a rerun: the tier points written
last are kept in a table of the gradebook's own (``convcourse_tier_credit``), and a rerun replaces only
those, keeping the rest of the cell's extra credit.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..exercises import registry
from ..grading.results import ExerciseResult, SubmissionResult, shown

__all__ = ["Written", "write_scores"]


_LEDGER = "convcourse_tier_credit"   # grade id -> the tier points convcourse last wrote as its extra credit


@dataclass
class Written:
    updated: int = 0                                        # grade cells written
    outputs: int = 0                                        # autograded notebooks' grade-cell outputs replaced
    skipped: list[str] = field(default_factory=list)        # one line per submission not written, and why


def _split(exercise_result) -> tuple[float, float]:
    """(correctness + rules points, tier points) of one exercise's result."""
    tier = registry.get(exercise_result.slug).tier_points(exercise_result.tier)
    return exercise_result.score - tier, tier


def _extra_credit(gb, grade, tier: float) -> float | None:
    """The cell's new extra credit: ``tier`` plus whatever a person added beside what convcourse wrote
    last time; and remember ``tier`` as convcourse's share."""
    from sqlalchemy import text

    row = gb.db.execute(text(f"SELECT points FROM {_LEDGER} WHERE grade_id = :g"), {"g": grade.id}).first()
    ours = row[0] if row else 0.0
    by_hand = (grade.extra_credit or 0.0) - ours
    gb.db.execute(text(f"DELETE FROM {_LEDGER} WHERE grade_id = :g"), {"g": grade.id})
    gb.db.execute(text(f"INSERT INTO {_LEDGER} (grade_id, points) VALUES (:g, :p)"), {"g": grade.id, "p": tier})
    total = round(tier + by_hand, 4)
    return total or None


def cell_output(e: ExerciseResult, base: float, max_score: float, tier: float) -> dict:
    """The output that replaces a grade cell's own in the autograded notebook: the hardened grader's points
    (``text/plain`` is the number nbgrader reads as partial credit) and its feedback."""
    from html import escape

    extra = f", and {shown(tier)} extra credit for speed (tier {e.tier})" if tier else ""
    words = (f"Points: {shown(base)} of {shown(max_score)}{extra}, as graded by convcourse grade-class (the hardened "
             f"grader; this replaces what the notebook's own check showed). {e.message}")
    return {"output_type": "execute_result", "execution_count": None, "metadata": {},
            "data": {"text/plain": shown(base), "text/html": f"<p><b>{escape(words)}</b></p>"}}


def _rewrite_outputs(path: Path, cells: dict[str, dict]) -> bool:
    """Replace the outputs of the grade cells ``cells`` (grade id -> output) in the notebook at ``path``."""
    import nbformat

    from ..grading.results import write_atomic

    if not path.is_file():
        return False
    nb = nbformat.read(str(path), as_version=4)
    changed = False
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in cells:
            cell.outputs = [nbformat.from_dict(cells[grade_id])]
            changed = True
    if changed:
        write_atomic(path, nbformat.writes(nb))
    return changed


def write_scores(db_url: str, rows: list[tuple[str, str, SubmissionResult]], course_id: str = "",
                 autograded: str | Path | None = None) -> Written:
    """Write ``(student, assignment, result)`` rows into the gradebook at ``db_url``.

    The assignment must be in the gradebook (``nbgrader generate_assignment`` puts it there); students
    and their submission records are created when missing, as ``nbgrader autograde`` would. With
    ``autograded`` (the course's ``autograded/`` folder), each written grade cell's output in
    ``autograded/<student>/<assignment>/<notebook>.ipynb`` becomes the hardened grader's.
    """
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy import text
    from sqlalchemy.exc import SAWarning

    if db_url.startswith("sqlite:///") and not Path(db_url.removeprefix("sqlite:///")).is_file():
        raise FileNotFoundError(f"no gradebook at {db_url.removeprefix('sqlite:///')}: run `nbgrader "
                                "generate_assignment` in the course folder first (it creates the gradebook)")

    written = Written()
    with warnings.catch_warnings(), Gradebook(db_url, course_id) as gb:
        # nbgrader's own add_submission trips SQLAlchemy's autoflush warning; the rows are written all the same
        warnings.simplefilter("ignore", SAWarning)
        gb.db.execute(text(f"CREATE TABLE IF NOT EXISTS {_LEDGER} (grade_id VARCHAR(32) PRIMARY KEY, points FLOAT NOT NULL)"))
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
            outputs: dict[str, dict[str, dict]] = {}
            for e in result.exercises:
                if f"autograde-{e.slug}" not in cells:
                    continue
                notebook, cell = cells[f"autograde-{e.slug}"]
                grade = gb.find_grade(cell.name, notebook, assignment, student)
                base, tier = _split(e)
                grade.auto_score = round(min(max(base, 0.0), cell.max_score), 4)
                grade.extra_credit = _extra_credit(gb, grade, round(tier, 4))
                grade.needs_manual_grade = False
                outputs.setdefault(notebook, {})[cell.name] = cell_output(e, grade.auto_score, cell.max_score, tier)
                written.updated += 1
            gb.db.commit()
            if autograded is not None:
                for notebook, cell_outputs in outputs.items():
                    path = Path(autograded) / student / assignment / f"{notebook}.ipynb"
                    written.outputs += _rewrite_outputs(path, cell_outputs)
    return written
