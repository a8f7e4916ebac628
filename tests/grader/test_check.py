"""check() in the notebook: same verdicts as the grader, friendly when not implemented, pictures."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

from autograder.notebook import check

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
