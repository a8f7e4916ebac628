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

    from autograder.exercises.registry import get

    sol = _solutions()
    full = autograde("convolve", sol.convolve, hidden=True, student="zoe")
    most = get("convolve").max_score
    assert float(full) == most and repr(full) == f"{most:g}" and f"Points: {most:g} of {most:g}" in full._repr_html_()
    loops = _module(ROOT / "tests" / "submissions" / "even-kernel-symmetric-crop" / "submission.py")
    part = autograde("convolve_grayscale_same", loops.convolve_grayscale_same)
    assert 0 < float(part) < get("convolve_grayscale_same").max_score and float(repr(part)) == float(part)
    by_hand = autograde("correlate_by_hand", output_00=1, output_full=[[1, 3, -2], [-1, 0, 3], [-1, -1, 2]])
    assert by_hand == get("correlate_by_hand").max_score


def test_autograde_keeps_stderr_out_of_the_cell(capsys):
    """nbgrader gives 0 to a grade cell that wrote to stderr: a student's NumPy warning must not cost the
    points, so autograde captures it into the report."""
    import sys

    from autograder.course.notebook import autograde

    import numpy as np

    from autograder.exercises.registry import get

    def global_average_pool(images):   # its own work: a call of the model answer would earn nothing
        print("a note on stderr", file=sys.stderr)
        return np.asarray(images, dtype=float).mean(axis=(1, 2))

    score = autograde("global_average_pool", global_average_pool)
    assert float(score) == get("global_average_pool").max_score, score.report.result.message
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
    first, second = report.result.cases[:2]
    assert first.message.startswith("dense_params(") and "raised SystemExit: 3" in first.message
    assert second.message == f"dense_params raised the same SystemExit as case {first.name}"   # said once


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


# ------------------------------------------------------------------ pictures and numbers of failed cases

def _flipped_valid(images, kernel):
    """A true convolution (kernel flipped) where a cross-correlation is asked: wrong everywhere but the centre
    of the 5x5 worked example, whose output is (1, 3, 3)."""
    import numpy as np

    m, h, w = images.shape
    kh, kw = kernel.shape
    out = np.zeros((m, h - kh + 1, w - kw + 1))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = (images[:, i:i + kh, j:j + kw] * kernel[::-1, ::-1]).sum(axis=(1, 2))
    return out


class _Tables:
    """The tables of an HTML report: each cell's tag, style, class and text, and which are number grids."""

    def __init__(self, text: str):
        from html.parser import HTMLParser

        self.tables, self.cells, self.grids = [], [], []
        stack = []
        me = self

        class P(HTMLParser):
            def handle_starttag(self, tag, attrs):
                a = dict(attrs)
                if tag == "table":
                    me.tables.append(a)
                    stack.append(a)
                    if a.get("class") == "values":
                        me.grids.append([])
                elif tag == "tr" and stack and stack[-1].get("class") == "values":
                    me.grids[-1].append([])
                elif tag in ("td", "th"):
                    me.cells.append((tag, a, stack[-1].get("class") == "values" if stack else False))
                    if stack and stack[-1].get("class") == "values":
                        me.grids[-1][-1].append([a.get("class", ""), ""])

            def handle_endtag(self, tag):
                if tag == "table":
                    stack.pop()

            def handle_data(self, data):
                if stack and stack[-1].get("class") == "values" and me.grids and me.grids[-1] and me.grids[-1][-1]:
                    me.grids[-1][-1][-1][1] += data

        P().feed(text)


def test_a_small_output_is_drawn_as_its_own_plane():
    """The 5x5 example's output is (1, 3, 3): one 3x3 image, not '1x3' (its width taken for channels)."""
    from autograder.course import figures as F
    from autograder.grading.cases import expected, public_cases

    report = check(_flipped_valid, exercise="convolve_grayscale_valid", show=False)
    assert "expected (3x3)" in report.pictures["public-1"] and "received (3x3)" in report.pictures["public-1"]
    case = public_cases("convolve_grayscale_valid")[0]
    want = expected(case)
    assert want.shape == (1, 3, 3)
    titles = [ax.get_title() for ax in F.failed_case_figure(want, want[:, :, :2].copy(), case).axes]
    assert titles == ["expected\nimage 0: 3x3", "received\nimage 0: 3x2"]
    # channels last, batch first: the plane drawn is the one of the first wrong value
    case = public_cases("pool")[3]
    want = expected(case)
    got = want.copy()
    got[1, 2, 0, 1] += 5
    titles = [ax.get_title() for ax in F.failed_case_figure(want, got, case).axes]
    assert titles == [f"{t}\nimage 1, channel 1: 4x3" for t in ("expected", "received", "where they differ")]


def test_feedback_tables_are_left_aligned_in_jupyterlab():
    """JupyterLab's stylesheet right-aligns (and centres) tables: the report's own inline style must win."""
    html = check(_flipped_valid, exercise="convolve_grayscale_valid", show=False)._repr_html_()
    t = _Tables(html)
    assert t.tables and all("text-align:left" in a.get("style", "") and "margin-left:0" in a.get("style", "")
                            for a in t.tables if a.get("class") != "values")
    text_cells = [(tag, a) for tag, a, in_grid in t.cells if not in_grid]
    assert {tag for tag, _ in text_cells} == {"td", "th"}
    assert all("text-align:left" in a.get("style", "") for _, a in text_cells)


def test_small_arrays_are_shown_as_numbers_with_the_differing_cells_marked():
    from autograder.grading.cases import expected, public_cases

    report = check(_flipped_valid, exercise="convolve_grayscale_valid", show=False)
    case = public_cases("convolve_grayscale_valid")[0]
    want, got = expected(case)[0], _flipped_valid(*case.args)[0]
    (exp, rec) = _Tables(report.pictures["public-1"]).grids
    assert [[float(v) for _, v in row] for row in exp] == want.tolist()
    assert [[float(v) for _, v in row] for row in rec] == got.tolist()
    differs = (want != got).tolist()
    assert 0 < sum(map(sum, differs)) < want.size
    for grid in (exp, rec):
        assert [[cls == "differs" for cls, _ in row] for row in grid] == differs
    assert "marked in red" in report.pictures["public-1"]
    # a large plane is a picture only
    case = public_cases("convolve_transpose")[1]
    from autograder.course.figures import failed_case_html

    big = expected(case)
    assert big.shape[1:3] == (7, 9) and "<table" not in failed_case_html(big, big + 1, case)


def test_hidden_cases_show_no_expected_values():
    from autograder.course.figures import failed_case_figure, failed_case_html
    from autograder.formats.html import exercise_html
    from autograder.grading.cases import expected, hidden_cases

    report = check(_flipped_valid, exercise="convolve_grayscale_valid", hidden=3, show=False)
    hidden = [c for c in report.result.cases if c.hidden and not c.passed]
    assert hidden
    assert not any(name.startswith("hidden") for name in report.pictures)
    case = hidden_cases("convolve_grayscale_valid")[0]
    want = expected(case)
    assert failed_case_html(want, want + 1, case) is None and failed_case_figure(want, want + 1, case) is None
    # even handed one, the HTML never shows a hidden case's picture
    leak = {hidden[0].name: "<img alt='LEAK'/>", **report.pictures}
    out = exercise_html(report.result, leak)
    assert "LEAK" not in out and len(_Tables(out).grids) == 2 * len(report.pictures)


def test_a_borrowed_answer_earns_nothing_in_the_notebook_either():
    """In a kernel the reference is a name away: a function that calls it, through a name another cell
    bound or a module imported at run time, returns right answers that are not its own."""
    import importlib

    from autograder.reference import pool as reference_pool

    def pool(images, kernel_shape, stride, mode="max", padding="valid"):
        return reference_pool(images, kernel_shape, stride, mode, padding)

    def conv_output_size(n, k, padding="valid", stride=1, dilation=1):
        return importlib.import_module("auto" + "grader.reference").conv_output_size(n, k, padding, stride, dilation)

    # the model answer compiled under the name of the file whose functions a case hands the student (the
    # f of numerical_gradient): calling those is allowed, code compiled in their name is not
    import autograder.sandbox.runtime.functions as given

    ns = {}
    exec(compile((ROOT / "solutions" / "04_pooling.py").read_text(), given.__file__, "exec"), ns)

    def pool_relabelled(images, kernel_shape, stride, mode="max", padding="valid"):
        return ns["pool"](images, kernel_shape, stride, mode, padding)

    r = check(pool_relabelled, exercise="pool", show=False).result
    assert r.score == 0 and r.borrowed and r.message.startswith("Borrowed answer, no points"), r.message

    for fn, called in ((pool, "autograder.reference.pooling.pool"),
                       (conv_output_size, "autograder.reference.geometry.conv_output_size")):
        r = check(fn, show=False).result
        assert r.passed == r.total and r.score == 0 and r.status == "failed", r.message
        assert f"called {called} while it ran" in r.borrowed
        assert r.message.startswith("Borrowed answer, no points")
