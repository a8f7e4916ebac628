"""A class's scores in Canvas's gradebook import format (Grades → Import, a CSV).

Canvas matches a row to a student by its identity columns (``Student``, ``ID``, ``SIS User ID``, ``SIS Login
ID``, ``Section``) and reads every other column as an assignment: a column it does not know (here
``convcourse <assignment>``) becomes a new assignment. The second row, ``Points Possible``, gives each
assignment's maximum. Tier points are extra credit, as in every other format: a score may exceed its
points possible, which Canvas accepts as extra credit.

Our student ids are whatever the class folder calls students (logins, nbgrader ids). Given Canvas's own
gradebook export (``roster``), each is looked up in one column the instructor names (``match``, by default
``SIS Login ID``), never in several: a student picks their own GitHub login, and one that happens to be a
classmate's Canvas ``ID`` or student number must not put its score on the classmate's row. A student the
roster lacks, or whose id the column holds twice, gets no row at all and is listed in
:attr:`CanvasTable.unmatched`: a row Canvas could match to somebody else is worse than none. Without a
roster, each row carries the id as ``SIS Login ID``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..grading.results import SubmissionResult, shown

__all__ = ["IDENTITY", "MATCH_COLUMNS", "CanvasTable", "RosterError", "read_roster", "to_canvas_csv"]

#: Canvas's identity columns, in the order its own export writes them.
IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
#: The columns a student id may be matched in (one of them per run).
MATCH_COLUMNS = ("SIS Login ID", "SIS User ID", "ID")


class RosterError(ValueError):
    """A roster file that is not a Canvas gradebook export (the message says what is missing)."""


def read_roster(path: str | Path) -> list[dict[str, str]]:
    """The identity columns of each student row of Canvas's gradebook export at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")   # Canvas writes a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read the Canvas roster {path}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("Student", "SIS Login ID") if c not in (reader.fieldnames or ())]
    if missing:
        raise RosterError(f"{path} is not a Canvas gradebook export: it has no {', '.join(missing)} column "
                          f"(expected the columns {', '.join(IDENTITY)}, as Grades → Export writes them)")
    rows = []
    for row in reader:
        if (row.get("Student") or "").strip() in ("Points Possible", "Test Student", ""):
            continue   # the maximum row, and Canvas's own test student
        rows.append({c: (row.get(c) or "").strip() for c in IDENTITY})
    return rows


@dataclass
class CanvasTable:
    text: str
    unmatched: list[str] = field(default_factory=list)


def _column(assignment: str) -> str:
    return f"convcourse {assignment}" if assignment else "convcourse"


def to_canvas_csv(rows: list[tuple[str, str, SubmissionResult]], roster: list[dict[str, str]] | None = None,
                  match: str = "SIS Login ID") -> CanvasTable:
    """``rows`` are ``(student, assignment or "", result)``: one Canvas row per student, one column per
    assignment, the score as graded (tier points included), ``Points Possible`` without them. With a
    ``roster``, a student's id is looked up in its ``match`` column only."""
    if match not in MATCH_COLUMNS:
        raise RosterError(f"cannot match students on {match!r}: expected one of {', '.join(MATCH_COLUMNS)}")
    assignments = sorted({a for _, a, _ in rows})
    possible = {a: max(r.max_score for _, a2, r in rows if a2 == a) for a in assignments}
    scores: dict[str, dict[str, float]] = {}
    for student, assignment, result in rows:
        scores.setdefault(student, {})[assignment] = result.score
    index: dict[str, dict[str, str] | None] = {}
    for entry in roster or ():
        if entry[match]:
            index[entry[match]] = None if entry[match] in index else entry   # held twice: nobody's
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*IDENTITY, *map(_column, assignments)])
    writer.writerow(["Points Possible", "", "", "", "", *(shown(possible[a]) for a in assignments)])
    unmatched = []
    for student in sorted(scores):
        if roster is None:
            entry = {"Student": student, "ID": "", "SIS User ID": "", "SIS Login ID": student, "Section": ""}
        elif (entry := index.get(student)) is None:
            unmatched.append(student)
            continue
        writer.writerow([*(entry[c] for c in IDENTITY),
                         *(shown(scores[student][a]) if a in scores[student] else "" for a in assignments)])
    return CanvasTable(out.getvalue(), unmatched)
