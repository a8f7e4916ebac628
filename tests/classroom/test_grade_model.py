"""One grade model everywhere: tier points are extra credit in the results, grades.csv, Canvas's import,
nbgrader's gradebook and its export; a grade cell's output never contradicts its score; extra credit given
by hand in formgrader survives a rerun."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.classroom.sampleclass import ASSIGNMENT, make_class
from autograder.course.authoring import ROOT, run_nbgrader
from autograder.exercises import registry

CONVCOURSE = str(Path(sys.executable).parent / "convcourse")
SECRET = {"CONVCOURSE_SECRET": "grade-model-secret"}


def _grade_class(course: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    done = subprocess.run([CONVCOURSE, "grade-class", str(course), "--gradebook", "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ, **SECRET))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course where nbgrader autograde ran first (in the students' kernels), then grade-class --gradebook."""
    tmp = tmp_path_factory.mktemp("grade-model")
    course = tmp / "course"
    shutil.copytree(ROOT / "course", course, ignore=shutil.ignore_patterns(
        "gradebook.db", "release", "lessons", "submitted", "autograded", "feedback"))
    assert run_nbgrader(["generate_assignment", ASSIGNMENT, "--force"], course, env=SECRET).returncode == 0
    make_class(course, {"alice": "correct", "dave": "assert-patch"})
    done = run_nbgrader(["autograde", ASSIGNMENT, "--force"], course, env=SECRET, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    first = _grade_class(course, tmp / "grades")
    return course, tmp / "grades", first


def _cell(course: Path, student: str, slug: str):
    nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == f"autograde-{slug}")


def test_a_grade_cells_output_says_the_score_the_gradebook_holds(graded):
    """dave's patched checks made his kernel print full points; the gradebook holds the hardened 0, and
    so do the autograded notebook and nbgrader's feedback made from it."""
    from nbgrader.api import Gradebook

    course, _, first = graded
    assert "autograded notebooks' grade cells now show these scores" in first.stdout
    slug = "convolve_grayscale_same"
    full = registry.get(slug).max_score
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = gb.find_grade(f"autograde-{slug}", ASSIGNMENT, ASSIGNMENT, "dave")
        assert grade.auto_score == 0
    (output,) = _cell(course, "dave", slug).outputs
    assert output["data"]["text/plain"] == "0"
    shown = html.unescape(output["data"]["text/html"])
    assert f"Points: 0 of {full:g}" in shown and f"Points: {full:g} of {full:g}" not in shown
    done = run_nbgrader(["generate_feedback", ASSIGNMENT, "--force", "--student", "dave"], course, env=SECRET)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    feedback = html.unescape((course / "feedback" / "dave" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text())
    assert f"Points: 0 of {full:g}, as graded by convcourse grade-class" in feedback
    assert f"Points: {full:g} of {full:g}" not in feedback.split("autograde-" + slug)[-1][:3000]
    # alice's correct work: the output's number is the gradebook's, its tier points named as extra credit
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = gb.find_grade(f"autograde-{slug}", ASSIGNMENT, ASSIGNMENT, "alice")
        (output,) = _cell(course, "alice", slug).outputs
        assert float(output["data"]["text/plain"]) == grade.auto_score == full
        assert (grade.extra_credit or 0) > 0 and "extra credit for speed" in output["data"]["text/html"]


def test_every_table_counts_tier_points_as_extra_credit(graded):
    course, out, _ = graded
    ours = {r["student"]: r for r in _csv(out / "grades.csv")}
    results = {s: json.loads((out / s / ASSIGNMENT / "results.json").read_text()) for s in ("alice", "dave")}
    alice = results["alice"]
    assert alice["schema"] == "convcourse.results/2"
    assert alice["extra_credit"] > 0 and alice["score"] == alice["max_score"] + alice["extra_credit"]
    assert alice["max_score"] == sum(e["max_score"] for e in alice["exercises"])
    assert alice["max_score"] == sum(registry.get(e["slug"]).max_score for e in alice["exercises"])
    assert float(ours["alice"]["score"]) == pytest.approx(alice["score"], abs=0.01)
    assert float(ours["alice"]["max_score"]) == alice["max_score"]
    assert float(ours["alice"]["extra_credit"]) == pytest.approx(alice["extra_credit"], abs=0.01)

    done = run_nbgrader(["export", "--to", str(out / "export.csv")], course, env=SECRET)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    export = {r["student_id"]: r for r in _csv(out / "export.csv") if r["assignment"] == ASSIGNMENT}
    canvas = _csv(out / "canvas.csv")
    possible = canvas[0]
    rows = {r["SIS Login ID"]: r for r in canvas[1:]}
    column = f"convcourse {ASSIGNMENT}"
    assert possible["Student"] == "Points Possible" and float(possible[column]) == alice["max_score"]
    for student, result in results.items():
        assert float(export[student]["score"]) == pytest.approx(result["score"], abs=0.01), student
        assert float(export[student]["max_score"]) == result["max_score"], student
        assert float(rows[student][column]) == pytest.approx(result["score"], abs=0.01), student


def test_extra_credit_given_by_hand_survives_a_rerun(graded):
    from nbgrader.api import Gradebook

    course, out, _ = graded
    url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(url) as gb:
        plain = gb.find_grade("autograde-output_size", ASSIGNMENT, ASSIGNMENT, "alice")     # no tier
        timed = gb.find_grade("autograde-convolve_grayscale_same", ASSIGNMENT, ASSIGNMENT, "alice")
        tier = timed.extra_credit
        plain.extra_credit = 1.5
        timed.extra_credit = tier + 2
        gb.db.commit()
    again = _grade_class(course, out)
    assert "0 graded, 2 kept" in again.stdout
    with Gradebook(url) as gb:
        assert gb.find_grade("autograde-output_size", ASSIGNMENT, ASSIGNMENT, "alice").extra_credit == 1.5
        assert gb.find_grade("autograde-convolve_grayscale_same", ASSIGNMENT, ASSIGNMENT,
                             "alice").extra_credit == pytest.approx(tier + 2)


def test_canvas_import_carries_canvas_identities_from_its_export(graded, tmp_path):
    course, out, _ = graded
    roster = tmp_path / "canvas-export.csv"
    roster.write_text("\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (101)\n"
                      "    Points Possible,,,,,10\n"
                      "\"Liddell, Alice\",4401,U1001,alice,CNN 101 A,9\n")
    done = _grade_class(course, out, "--canvas-roster", str(roster))
    assert "1 left out, not in the roster's 'SIS Login ID' column or in it twice: dave" in done.stdout
    rows = {r["SIS Login ID"]: r for r in _csv(out / "canvas.csv")[1:]}
    assert rows["alice"]["Student"] == "Liddell, Alice" and rows["alice"]["ID"] == "4401"
    assert rows["alice"]["Section"] == "CNN 101 A" and "dave" not in rows     # no row Canvas could misplace
    by_number = _grade_class(course, out, "--canvas-roster", str(roster), "--canvas-match", "SIS User ID")
    assert "2 left out, not in the roster's 'SIS User ID' column or in it twice: alice, dave" in by_number.stdout
    bad = tmp_path / "not-canvas.csv"
    bad.write_text("name,score\nalice,3\n")
    refused = subprocess.run([CONVCOURSE, "grade-class", str(course), "--out", str(out), "--canvas-roster", str(bad)],
                             capture_output=True, text=True, timeout=600, env=dict(os.environ, **SECRET))
    assert refused.returncode == 2 and "is not a Canvas gradebook export" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_summary_says_what_went_wrong_per_student_in_one_line_and_git_ignores_the_records(graded, tmp_path):
    import re

    course, out, first = graded
    problems = first.stdout.split("what went wrong, per submission:\n", 1)[1].splitlines()
    dave = [line for line in problems if line.strip().startswith(f"dave/{ASSIGNMENT}")]
    assert len(dave) == 1, first.stdout
    assert "convolve_grayscale_same error (could not be loaded: ModuleNotFoundError)" in dave[0], dave
    assert "rules broken: forbidden-import (4)" in dave[0], dave
    assert not any(line.strip().startswith("alice/") for line in problems)    # nothing went wrong for her
    assert not re.search(r"\d\.\d{3,}", first.stdout)                         # scores printed to two decimals
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    shutil.copytree(out, repo / "course-grades")
    ignored = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
                             capture_output=True, text=True, check=True)
    assert ignored.stdout == ""                                               # the records folder ignores itself
