"""A class's scores in Canvas's gradebook import format (Grades → Import, a CSV).

Canvas matches a row to a student by its identity columns (``Student``, ``ID``, ``SIS User ID``, ``SIS Login
ID``, ``Section``) and reads every other column as an assignment: a column it does not know (here
``convcourse <assignment>``) becomes a new assignment. The second row, ``Points Possible``, gives each
assignment's maximum. Tier points are extra credit, as in every other format: a score may exceed its
points possible, which Canvas accepts as extra credit.

Our student ids are whatever the class folder calls students (logins, nbgrader ids). Given Canvas's own
gradebook export (``roster``), each is looked up as a ``SIS Login ID``, then ``SIS User ID``, then ``ID``,
and the row carries Canvas's identity; a student not found keeps the id as ``SIS Login ID`` and is listed
in :attr:`CanvasTable.unmatched`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..grading.results import SubmissionResult, shown

__all__ = ["IDENTITY", "CanvasTable", "RosterError", "read_roster", "to_canvas_csv"]

#: Canvas's identity columns, in the order its own export writes them.
IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
_LOOKUP = ("SIS Login ID", "SIS User ID", "ID")


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


def to_canvas_csv(rows: list[tuple[str, str, SubmissionResult]], roster: list[dict[str, str]] | None = None) -> CanvasTable:
    """``rows`` are ``(student, assignment or "", result)``: one Canvas row per student, one column per
    assignment, the score as graded (tier points included), ``Points Possible`` without them."""
    assignments = sorted({a for _, a, _ in rows})
    possible = {a: max(r.max_score for _, a2, r in rows if a2 == a) for a in assignments}
    scores: dict[str, dict[str, float]] = {}
    for student, assignment, result in rows:
        scores.setdefault(student, {})[assignment] = result.score
    index = {}
    for entry in roster or ():
        for key in _LOOKUP:
            if entry[key]:
                index.setdefault((key, entry[key]), entry)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*IDENTITY, *map(_column, assignments)])
    writer.writerow(["Points Possible", "", "", "", "", *(shown(possible[a]) for a in assignments)])
    unmatched = []
    for student in sorted(scores):
        entry = next((index[(k, student)] for k in _LOOKUP if (k, student) in index), None)
        if entry is None:
            if roster is not None:
                unmatched.append(student)
            entry = {"Student": student, "ID": "", "SIS User ID": "", "SIS Login ID": student, "Section": ""}
        writer.writerow([*(entry[c] for c in IDENTITY),
                         *(shown(scores[student][a]) if a in scores[student] else "" for a in assignments)])
    return CanvasTable(out.getvalue(), unmatched)
