"""The six lessons as students and instructors run them: every notebook top to bottom in a real kernel.

* each instructor notebook (course/source) runs with its model answers and earns full marks;
* each student notebook (exercises/) runs without an error, every check says "not implemented yet" and
  every autograded cell gives 0;
* ``nbgrader validate`` passes the sources and fails the blank release, saying so;
* ``nbgrader autograde`` grades a class (a finished notebook and a blank one) into the gradebook.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the course extra (make setup installs it)")
from nbclient import NotebookClient  # noqa: E402

from autograder.course.authoring import run_nbgrader  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NAMES = [p.stem for p in sorted((ROOT / "course" / "lessons").glob("[0-9][0-9]_*.py"))]
_RUNS: dict[tuple[str, str], object] = {}


def executed(kind: str, name: str):
    """The notebook ``name`` of ``course/source`` or ``exercises``, run top to bottom (once per session)."""
    if (kind, name) not in _RUNS:
        folder = ROOT / ("course/source" if kind == "source" else "exercises") / name
        nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
        _RUNS[kind, name] = nb
    return _RUNS[kind, name]


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("display_data", "execute_result"):
            parts.append(out.data.get("text/html", out.data.get("text/plain", "")))
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return html.unescape(re.sub(r"<[^>]+>", " ", "\n".join(parts)))


def _errors(nb):
    return [(i, _text(c)[:300]) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and any(o.output_type == "error" for o in c.outputs)]


def _credit(cell) -> float:
    """What nbgrader gives a grade cell: 0 on an error or stderr, else the partial credit it printed."""
    from nbgrader.utils import determine_grade

    return determine_grade(cell)[0]


def _grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_instructor_notebook_runs_and_earns_full_marks(name):
    nb = executed("source", name)
    assert _errors(nb) == []
    cells = _grade_cells(nb)
    assert cells
    for cell in cells:
        points = cell.metadata["nbgrader"]["points"]
        assert _credit(cell) == points, (cell.metadata["nbgrader"]["grade_id"], _text(cell)[:500])
        assert "hidden-1" in _text(cell) or "answer-1" in _text(cell)   # the instructor version runs hidden cases
    figures = sum(o.get("data", {}).get("image/png") is not None for c in nb.cells for o in c.get("outputs", []))
    assert figures >= 2, "every lesson shows pictures"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_runs_and_says_not_implemented(name):
    nb = executed("release", name)
    assert _errors(nb) == []
    for cell in _grade_cells(nb):
        text = _text(cell)
        assert _credit(cell) == 0, cell.metadata["nbgrader"]["grade_id"]
        assert "Not implemented yet" in text and "Traceback" not in text, text[:300]
        assert "hidden-1" not in text                              # hidden cases are gone from the release
    solutions = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("check(") and any(
                f"solution-{cell.source[6:].split(',')[0].split(')')[0]}" == s for s in solutions):
            assert "Not implemented yet" in _text(cell), cell.source


def _nbgrader(args, cwd, env=None):
    return run_nbgrader(args, cwd, env=env, timeout=900)


@pytest.mark.slow
def test_nbgrader_validate_passes_sources_and_fails_the_blank_release():
    sources = [str(ROOT / "course/source" / n / f"{n}.ipynb") for n in NAMES]
    done = _nbgrader(["validate", *sources], ROOT / "course")
    assert done.returncode == 0 and "Success! Your notebook passes all the tests." in done.stdout, done.stdout[-2000:]
    assert "VALIDATION FAILED" not in done.stdout
    blanks = [ROOT / "exercises" / n / f"{n}.ipynb" for n in NAMES]
    done = _nbgrader(["validate", *map(str, blanks)], ROOT / "course")
    assert done.returncode == 0                         # nbgrader validate exits 0 even when validation fails
    graded = [len(_grade_cells(nbformat.read(b, as_version=4))) for b in blanks]
    failed = [int(n) for n in re.findall(r"VALIDATION FAILED ON (\d+) CELL\(S\)", done.stdout)]
    assert failed == graded, done.stdout[-3000:]       # every graded cell of every blank notebook fails


@pytest.mark.slow
def test_nbgrader_autograde_grades_a_class_into_the_gradebook(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "course", course, ignore=shutil.ignore_patterns("gradebook.db", "release", "lessons"))
    name = NAMES[0]
    assert _nbgrader(["generate_assignment", name, "--force"], course).returncode == 0
    for student, folder in (("alice", course / "source"), ("bob", course / "release")):
        target = course / "submitted" / student / name
        target.mkdir(parents=True)
        shutil.copy(folder / name / f"{name}.ipynb", target)
    # bob prints the secret, raises with it and leaves it as a cell's value, in a cell of his own
    bob_nb = course / "submitted" / "bob" / name / f"{name}.ipynb"
    leaky = nbformat.read(bob_nb, as_version=4)
    leaky.cells.insert(3, nbformat.v4.new_code_cell(
        "import os\nprint('mine:', os.environ.get('CONVCOURSE_SECRET'), os.environ.get('CONVCOURSE_STUDENT_KEY'))\n"
        "open('/proc/self/environ').read()"))
    leaky.cells.insert(4, nbformat.v4.new_code_cell("raise RuntimeError(os.environ['CONVCOURSE_STUDENT_KEY'])"))
    nbformat.write(leaky, bob_nb)
    done = _nbgrader(["autograde", name, "--force"], course, env={"CONVCOURSE_SECRET": "test-secret-7319"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        alice = gb.find_submission(name, "alice")
        bob = gb.find_submission(name, "bob")
        assert alice.score == alice.max_score > 0
        assert bob.score == 0
    graded = nbformat.read(course / "autograded" / "alice" / name / f"{name}.ipynb", as_version=4)
    text = "\n".join(_text(c) for c in _grade_cells(graded))
    assert "hidden-1" in text and "Hidden cases drawn for student 'alice'" in text   # her own hidden cases

    # feedback shows no hidden test code (course/nbgrader_config.py clears it)
    assert "### BEGIN HIDDEN TESTS" in (course / "autograded" / "alice" / name / f"{name}.ipynb").read_text()
    done = _nbgrader(["generate_feedback", name, "--force"], course)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    feedback = (course / "feedback" / "alice" / name / f"{name}.html").read_text()
    assert "Points: 8 of 8" in feedback or "Points: 8 of 8" in html.unescape(feedback)
    assert "BEGIN HIDDEN TESTS" not in feedback and "hidden_cases = True" not in feedback

    # bob's leaks reached neither his autograded notebook nor his feedback
    assert _nbgrader(["generate_feedback", name, "--force", "--student", "bob"], course).returncode == 0
    autograded = (course / "autograded" / "bob" / name / f"{name}.ipynb").read_text()
    bob_feedback = (course / "feedback" / "bob" / name / f"{name}.html").read_text()
    from autograder.grading.cases import student_key

    key = student_key("test-secret-7319", "bob")
    assert "mine: None [redacted]" in autograded          # the kernel had his key, never the secret
    for text in (autograded, bob_feedback):
        assert "test-secret-7319" not in text and key not in text


@pytest.mark.slow
def test_grade_class_writes_its_scores_into_nbgraders_gradebook(tmp_path):
    from autograder.classroom.sampleclass import ASSIGNMENT, make_class

    course = tmp_path / "course"
    shutil.copytree(ROOT / "course", course, ignore=shutil.ignore_patterns("gradebook.db", "release", "lessons"))
    assert _nbgrader(["generate_assignment", ASSIGNMENT, "--force"], course).returncode == 0
    make_class(course, {"alice": "correct", "dave": "assert-patch"})
    done = subprocess.run([str(Path(sys.executable).parent / "convcourse"), "grade-class", str(course),
                           "--gradebook", "--out", str(tmp_path / "grades")], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "8 grade cells written" in done.stdout, done.stdout

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        alice = gb.find_submission(ASSIGNMENT, "alice")
        assert alice.score == alice.max_score + 6                    # tier points as extra credit
        cheat = gb.find_grade("autograde-convolve_grayscale_same", ASSIGNMENT, ASSIGNMENT, "dave")
        assert cheat.auto_score == 0 and not cheat.needs_manual_grade
        fine = gb.find_grade("autograde-output_size", ASSIGNMENT, ASSIGNMENT, "dave")
        assert fine.auto_score == fine.max_score


@pytest.mark.slow
def test_plain_nbgrader_is_fooled_by_both_exploits(tmp_path):
    """What plain nbgrader 0.9.6 does with the two exploits (the reason grade-class exists): the checks'
    patch earns full marks from autograde and a Success from validate; the Numba hang fails the whole
    notebook. (tests/classroom/test_classgrade.py shows grade-class grading both correctly.)"""
    from autograder.classroom.sampleclass import ASSIGNMENT, make_class

    course = tmp_path / "course"
    shutil.copytree(ROOT / "course", course, ignore=shutil.ignore_patterns("gradebook.db", "release", "lessons"))
    assert _nbgrader(["generate_assignment", ASSIGNMENT, "--force"], course).returncode == 0
    make_class(course, {"dave": "assert-patch", "erin": "numba-hang"})
    cheat = course / "submitted" / "dave" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    validated = _nbgrader(["validate", str(cheat)], course)
    assert validated.returncode == 0 and "Success!" in validated.stdout
    _nbgrader(["autograde", ASSIGNMENT, "--force", "--Execute.timeout=10"], course)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        dave = gb.find_submission(ASSIGNMENT, "dave")
        assert dave.score == dave.max_score                     # full marks for a function that does nothing
    assert not (course / "autograded" / "erin" / ASSIGNMENT).exists()   # the whole notebook failed
