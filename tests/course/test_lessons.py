"""The six lessons as students and instructors run them: every notebook top to bottom in a real kernel.

* each instructor notebook (course/source) runs with its model answers and earns full marks;
* each student notebook (exercises/) runs without an error, every check says "not implemented yet" and
  every autograded cell gives 0;
* ``nbgrader validate`` passes the sources and fails the blank release, saying so;
* ``nbgrader autograde`` grades a class (a finished notebook and a blank one) into the gradebook;
* after Run All no global of the kernel is a function or module of ``autograder.reference`` (a student's
  function could call it), and a blank notebook shows no answer of a by-hand exercise.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the course extra (make setup installs it)")
from nbclient import NotebookClient  # noqa: E402

from autograder.course.authoring import run_nbgrader  # noqa: E402
from tests.browser.answers import GATE_NOTE, answer_sequences, shown  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NAMES = [p.stem for p in sorted((ROOT / "course" / "lessons").glob("[0-9][0-9]_*.py"))]
_RUNS: dict[tuple[str, str], object] = {}
_AUDIT_TAG = "convcourse-test-audit"

#: Run after the notebook's last cell, in its kernel: the globals (and the cell results kept in ``Out``)
#: that are a function, class or module of autograder.reference, or a partial, method or wrapper of one.
AUDIT = """
def _convcourse_audit():
    import inspect, json

    def course_reference(obj):
        for cand in (obj, getattr(obj, "func", None), getattr(obj, "__func__", None),
                     getattr(obj, "__wrapped__", None)):
            if cand is None:
                continue
            if inspect.ismodule(cand):
                origin = cand.__name__
            elif callable(cand) or inspect.isclass(cand):
                origin = getattr(cand, "__module__", None)
            else:
                continue
            if isinstance(origin, str) and origin.split(".")[:2] == ["autograder", "reference"]:
                return True
        return False

    found = []
    for name, value in list(globals().items()):
        values = list(value.values()) if name in ("Out", "_oh") and isinstance(value, dict) else [value]
        try:
            if any(course_reference(v) for v in values):
                found.append(name)
        except Exception as exc:  # an object that cannot be asked: say so, it fails the test
            found.append(f"{name} ({type(exc).__name__})")
    print(json.dumps(sorted(found)))


_convcourse_audit()
del _convcourse_audit
"""


def executed(kind: str, name: str):
    """The notebook ``name`` of ``course/source`` or ``exercises``, run top to bottom (once per session), with
    the :data:`AUDIT` cell appended."""
    if (kind, name) not in _RUNS:
        folder = ROOT / ("course/source" if kind == "source" else "exercises") / name
        nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        audit = nbformat.v4.new_code_cell(AUDIT)
        audit.metadata["tags"] = [_AUDIT_TAG]
        nb.cells.append(audit)
        NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
        _RUNS[kind, name] = nb
    return _RUNS[kind, name]


def _audited(nb) -> list[str]:
    cell = nb.cells[-1]
    assert _AUDIT_TAG in cell.metadata.get("tags", []) and not _errors(nbformat.v4.new_notebook(cells=[cell]))
    return json.loads(_text(cell).strip().splitlines()[-1])


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
    from autograder.exercises import registry

    full = registry.get("convolve_grayscale_valid").max_score     # the registry sets the points
    assert f"Points: {full:g} of {full:g}" in html.unescape(feedback)
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
        from autograder.exercises import registry

        tiers = sum(e.points.tier for e in registry.EXERCISES if e.notebook == int(ASSIGNMENT[:2]) and e.workload)
        assert alice.score == alice.max_score + tiers                # tier points as extra credit
        cheat = gb.find_grade("autograde-convolve_grayscale_same", ASSIGNMENT, ASSIGNMENT, "dave")
        assert cheat.auto_score == 0 and not cheat.needs_manual_grade
        # his honest exercise keeps its cases; the grader his file imports costs every code exercise of the
        # file its import rule (SPEC §2: the rules apply to every exercise whose answer is code)
        fine = gb.find_grade("autograde-output_size", ASSIGNMENT, ASSIGNMENT, "dave")
        assert fine.auto_score == fine.max_score - registry.get("output_size").rule_points.get("forbidden-import", 0)


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


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["source", "release"])
@pytest.mark.parametrize("name", NAMES)
def test_no_global_of_the_kernel_is_the_reference(kind, name):
    """After Run All (solved and blank) no name a student's function could call is the course's reference:
    the lessons' pictures use it inside autograder.course, and stand-ins are not the reference's objects."""
    assert _audited(executed(kind, name)) == []


def test_the_audit_finds_the_reference_under_any_name():
    """The audit itself: it names a reference function, a module, an alias and a partial of one."""
    import functools

    ns = {"np": __import__("numpy")}
    exec("import autograder.reference as R\nfrom autograder.reference import pool as p\n"   # noqa: S102
         "from autograder.reference import examples\nimport functools\nq = functools.partial(R.convolve)\n"
         "from autograder.course.figures import reference_stand_in\ns = reference_stand_in('pool')\n", ns)
    ns["Out"] = {1: functools.partial(ns["R"].conv_params, 3)}
    out = []
    ns["print"] = out.append
    exec(AUDIT, ns)   # noqa: S102 - the test's own audit
    assert json.loads(out[0]) == ["Out", "R", "examples", "p", "q"]      # the stand-in is none of them


def _outputs(cell) -> str:
    return _text(cell) if cell.cell_type == "code" else ""


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_a_blank_run_all_shows_no_answer(name):
    """Run All on the blank release prints and draws no answer of a by-hand exercise (notebook 1's output,
    notebook 5's shapes): not in an output, not in the prose; the cells that would draw one say why not.
    Solved, those cells draw."""
    blank, solved = executed("release", name), executed("source", name)
    text = "\n".join(_outputs(c) if c.cell_type == "code" else c.source for c in blank.cells)
    for seq in answer_sequences(name):
        assert not shown(seq, text), f"{name} shows the answer {seq} before it is answered"
    gated = [i for i, c in enumerate(blank.cells) if c.cell_type == "code" and "figures.answered(" in c.source]
    for i in gated:
        outputs = blank.cells[i].outputs
        assert GATE_NOTE in _text(blank.cells[i]), blank.cells[i].source
        assert not any("image/png" in o.get("data", {}) or "application/vnd.jupyter.widget-view+json"
                       in o.get("data", {}) for o in outputs), blank.cells[i].source
    by_source = {c.source: c for c in solved.cells if c.cell_type == "code"}
    for i in gated:
        cell = by_source[blank.cells[i].source]
        assert GATE_NOTE not in _text(cell)
        assert any("image/png" in o.get("data", {}) or "application/vnd.jupyter.widget-view+json"
                   in o.get("data", {}) for o in cell.outputs), cell.source
    if name.startswith(("01", "05")):
        assert gated, "the by-hand notebooks gate the pictures of their answers"


@pytest.mark.slow
def test_the_first_loop_version_is_not_held_to_the_loop_budget():
    """Notebook 1's step 1 says "as many loops as you like": its check neither marks nor counts the budget
    (the graded step 2 does)."""
    nb = executed("source", NAMES[0])
    step1 = next(c for c in nb.cells
                 if c.cell_type == "code" and c.source.startswith("check(convolve_grayscale_valid_loops"))
    text = _text(step1)
    assert "cases pass" in text and "loop-budget" not in text and "(budget" not in text, text[:2000]
    graded = next(c for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "autograde-convolve_grayscale_valid")
    assert "budget 2" in _text(graded)


@pytest.mark.parametrize("line", ["from autograder.reference import pool as reference_pool",
                                  "import autograder.reference as R", "from autograder import check, reference"])
def test_a_lesson_cell_may_not_import_the_reference(tmp_path, line):
    from autograder.course.authoring import BuildError, parse_lesson

    path = tmp_path / "07_test.py"
    path.write_text(f"# %% [markdown]\n# Hello\n\n# %%\n{line}\n", encoding="utf-8")
    with pytest.raises(BuildError, match="line 4: a lesson cell imports autograder.reference"):
        parse_lesson(path)
