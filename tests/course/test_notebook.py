"""check() in the notebook: same verdicts as the grader, friendly when not implemented, pictures."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

from autograder.course.notebook import check

ROOT = Path(__file__).resolve().parents[2]


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(path.parent.name.replace("-", "_"), path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _solutions():
    """Every model answer (solutions/*.py, generated from the lessons) in one namespace."""
    ns = {}
    for path in sorted((ROOT / "solutions").glob("[0-9]*.py")):
        ns.update(vars(_module(path)))
    return SimpleNamespace(**ns)


def test_model_solution_passes_every_case():
    sol = _solutions()
    for fn in (sol.convolve, sol.pool, sol.conv_params, sol.conv_output_size, sol.convolve_transpose):
        report = check(fn, show=False)
        assert report.passed, str(report)


def test_wrong_answer_gets_diagnosis_and_a_picture():
    mod = _module(ROOT / "tests" / "submissions" / "even-kernel-symmetric-crop" / "submission.py")
    report = check(mod.convolve_grayscale_same, show=False)
    assert not report.passed
    assert report.result.diagnoses[0] == "even-kernel-symmetric-padding"
    assert "public-4" in report.pictures and report.pictures["public-4"].startswith("<img")
    html = report._repr_html_()
    assert "even kernel" in html and "data:image/png;base64" in html


def test_not_implemented_is_friendly(capsys):
    def convolve(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
        raise NotImplementedError

    assert check(convolve) is None
    out = capsys.readouterr().out
    assert "Not implemented yet" in out and "Traceback" not in out


def test_answers_are_passed_explicitly():
    good = check("correlate_by_hand", output_00=1, output_full=[[1, 3, -2], [-1, 0, 3], [-1, -1, 2]], show=False)
    assert good.passed
    wrong = check("correlate_by_hand", output_00=3, output_full=[[3, 2], [4, 5]], show=False)
    assert wrong.result.passed == 0


def test_perf_shows_a_tier_and_a_chart():
    sol = _solutions()
    report = check(sol.pool, perf=True, show=False)
    assert report.result.tier in ("reference-class", "fast", "vectorized", "loops")
    assert "Tier:" in report.result.message and "against the reference" in report.result.message
    assert report.pictures["perf"].count("data:image/png;base64") == 1
    assert "data:image/png;base64" in report._repr_html_()


def test_from_autograder_import_check_stays_the_function():
    """Importing the package's check twice (as notebooks do, cell after cell) keeps giving the function."""
    import autograder

    sol = _solutions()
    autograder.check(sol.conv_params, show=False)
    from autograder import check as again

    assert callable(again) and again(sol.conv_params, show=False).passed


def test_pictures_leave_the_notebooks_matplotlib_backend_alone():
    """check() draws without pyplot: switching the backend to Agg would hide every later figure."""
    import matplotlib

    matplotlib.use("svg")
    mod = _module(ROOT / "tests" / "submissions" / "even-kernel-symmetric-crop" / "submission.py")
    assert check(mod.convolve_grayscale_same, show=False).pictures
    assert matplotlib.get_backend() == "svg"


def test_an_empty_function_is_not_implemented_and_a_missing_return_is_not():
    def convolve_grayscale_valid(images, kernel):
        """Only the docstring, as the student release leaves it."""
        # YOUR CODE HERE

    report = check(convolve_grayscale_valid, show=False)
    assert report.notes[0].startswith("Not implemented yet: write the function") and report.result.score == 0

    def convolve_grayscale_same(images, kernel):
        out = images * 1.0  # noqa: F841 - forgot `return out`

    report = check(convolve_grayscale_same, show=False)
    assert "returned None" in report.result.message or "None" in report.result.message
    assert not report.notes


def test_unanswered_by_hand_answers_say_so():
    report = check("correlate_by_hand", output_00=..., output_full=..., show=False)
    assert report.notes[0].startswith("Not implemented yet: write the answer")
    assert all("not answered yet" in c.message for c in report.result.cases)


def test_autograde_gives_partial_credit_as_a_number_and_counts_the_rules():
    from autograder.course.notebook import autograde

    sol = _solutions()
    full = autograde("convolve", sol.convolve, hidden=True, student="zoe")
    assert float(full) == 8.0 and repr(full) == "8" and "Points: 8 of 8" in full._repr_html_()
    loops = _module(ROOT / "tests" / "submissions" / "even-kernel-symmetric-crop" / "submission.py")
    part = autograde("convolve_grayscale_same", loops.convolve_grayscale_same)
    assert 0 < float(part) < 8 and float(repr(part)) == float(part)
    assert autograde("correlate_by_hand", output_00=1, output_full=[[1, 3, -2], [-1, 0, 3], [-1, -1, 2]]) == 2.0


def test_autograde_keeps_stderr_out_of_the_cell(capsys):
    """nbgrader gives 0 to a grade cell that wrote to stderr: a student's NumPy warning must not cost the
    points, so autograde captures it into the report."""
    import sys

    from autograder.course.notebook import autograde

    sol = _solutions()

    def global_average_pool(images):
        print("a note on stderr", file=sys.stderr)
        return sol.global_average_pool(images)

    score = autograde("global_average_pool", global_average_pool)
    assert float(score) == 8.0
    assert capsys.readouterr().err == ""
    assert "a note on stderr" in " ".join(score.report.notes)


def test_rules_in_the_kernel_count_helpers_and_names_from_other_modules(tmp_path):
    from autograder.course.notebook import kernel_rules
    from autograder.exercises.registry import get

    path = tmp_path / "cells.py"
    path.write_text(
        "import numpy as np\n"
        "import autograder.reference as R\n\n"
        "def rows(images):\n"
        "    return [row for row in images]\n\n"
        "def convolve_grayscale_same(images, kernel):\n"
        "    for a in range(kernel.shape[0]):\n"
        "        for b in range(kernel.shape[1]):\n"
        "            rows(images)\n"
        "    return R.convolve_grayscale_same(images, kernel)\n")
    mod = _module(path)
    rules = {r.id: r for r in kernel_rules(get("convolve_grayscale_same"),
                                           {"convolve_grayscale_same": mod.convolve_grayscale_same})}
    assert not rules["loop-budget"].passed and rules["loop-budget"].message.startswith("3 for loops (budget 2)")
    assert "`rows`, line 5" in rules["loop-budget"].message   # the line of its file (or cell), as errors say
    assert not rules["forbidden-import"].passed and "autograder.reference" in rules["forbidden-import"].message


def test_hidden_cases_are_drawn_for_the_student_nbgrader_autogrades(tmp_path, monkeypatch):
    from autograder.course.notebook import _student

    folder = tmp_path / "autograded" / "alice" / "01_convolution_by_hand"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    monkeypatch.delenv("CONVCOURSE_STUDENT", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert _student(None) == "practice"                 # a student's own kernel
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert _student(None) == "alice"
    monkeypatch.setenv("CONVCOURSE_STUDENT", "bob")
    assert _student(None) == "bob" and _student("carol") == "carol"


def test_kernel_rules_see_names_used_inside_comprehensions(tmp_path):
    """A comprehension is its own code object: the names it uses count like the function's own."""
    from autograder.course.notebook import kernel_rules
    from autograder.exercises.registry import get

    path = tmp_path / "cells2.py"
    path.write_text("import autograder.reference as R\n\n"
                    "def convolve_grayscale_same(images, kernel):\n"
                    "    return [R.convolve_grayscale_same(images, kernel) for _ in (0,)][0]\n")
    rules = {r.id: r for r in kernel_rules(get("convolve_grayscale_same"),
                                           {"convolve_grayscale_same": _module(path).convolve_grayscale_same})}
    assert not rules["forbidden-import"].passed and "autograder.reference" in rules["forbidden-import"].message


def test_what_check_was_not_given_it_says_how_to_pass():
    report = check("correlate_by_hand", output_00=1, show=False)
    assert report.result.cases[1].stage == "exists"
    assert report.notes == ["Pass output_full=... to check() (or autograde()) to check it."]


def test_a_result_that_cannot_travel_fails_its_case_as_in_the_grader():
    """What comes back in process passes through the child's encoding: a huge int fails that case (not
    check()), a class is an opaque value, and a sys.exit() is the function's error, not the kernel's."""
    def conv_output_size(n, k, padding="valid", stride=1, dilation=1):
        return 10 ** 5000 if n == 28 and k == 3 and padding == "valid" else SystemExit

    def dense_params(in_features, units, use_bias=True):
        raise SystemExit(3)

    report = check(conv_output_size, show=False)
    assert "ProtocolError: the result could not be sent" in report.result.cases[0].message
    assert report.result.cases[1].message.endswith("returned type <class 'SystemExit'>; expected an int")
    report = check(dense_params, show=False)
    assert all(c.message.startswith("dense_params(") and "raised SystemExit: 3" in c.message
               for c in report.result.cases[:2])


def test_rules_that_cannot_be_read_are_said_so():
    ns = {}
    exec("import numpy as np\n"
         "def global_average_pool(images):\n"
         "    return np.asarray(images, dtype=float).mean(axis=(1, 2))\n", ns)
    report = check(ns["global_average_pool"], show=False)
    assert report.passed and report.result.score == report.result.points.correctness < report.result.max_score
    assert report.notes and report.notes[0].startswith("The rules could not be read")


def test_assignments_released_before_the_move_still_import_autograde():
    import autograder
    from autograder import course
    from autograder.notebook import autograde, check as old_check

    assert autograde is course.notebook.autograde and old_check is course.notebook.check
    assert autograder.figures is course.figures
