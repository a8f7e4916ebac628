"""canvas.csv: a student id that matches a classmate's Canvas identity puts a score on the classmate's row.

Attack: student ids are whatever the class folder calls students; with ``fetch-class`` they are GitHub
logins, which the student chooses, and GitHub logins may be all digits. ``to_canvas_csv`` looks each id up
as ``SIS Login ID``, then ``SIS User ID``, then Canvas's numeric ``ID``, in *every* roster entry. Mallory
registers the GitHub login ``4711``, Vera's Canvas user id (shown in every profile URL,
``/courses/1/users/4711``), or her student number (``SIS User ID``).

Harm: canvas.csv gets a second row with Vera's identity carrying mallory's score (here 0); nothing warns,
because "4711" *was* matched. Canvas's import then has two rows for Vera, and whichever it applies,
one student's grade is the other's. (When Vera's own login does not match, she is listed as unmatched and
mallory's row is the only one with her identity: Vera gets mallory's 0.)
"""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

from autograder.formats.canvas import IDENTITY, to_canvas_csv

ROSTER = [
    {"Student": "Victim, Vera", "ID": "4711", "SIS User ID": "s0042", "SIS Login ID": "vvictim", "Section": "A"},
    {"Student": "Mallory, Mal", "ID": "4712", "SIS User ID": "s0043", "SIS Login ID": "mal", "Section": "A"},
]


def _result(score: float):
    return SimpleNamespace(score=score, max_score=141.0)


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))[1:]   # without Points Possible


def test_two_students_never_share_a_canvas_row():
    rows = [("vvictim", "", _result(130.0)), ("4711", "", _result(0.0))]
    table = to_canvas_csv(rows, ROSTER)
    vera = [r for r in _rows(table.text) if r["ID"] == "4711"]
    assert len(vera) == 1, table.text
    assert vera[0]["convcourse"] == "130", table.text
    assert "4711" in table.unmatched, table.unmatched   # or refused loudly: never written as Vera


def test_a_student_number_login_is_not_someone_else():
    rows = [("s0042", "", _result(0.0)), ("vvictim", "", _result(130.0))]
    table = to_canvas_csv(rows, ROSTER)
    identities = [tuple(r[c] for c in IDENTITY) for r in _rows(table.text)]
    assert len(identities) == len(set(identities)), table.text
