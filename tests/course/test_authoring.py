"""The course build: lesson parsing, computed prose numbers, generated cells, and no drift."""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path

import pytest

from autograder.exercises import registry
from autograder.exercises.model import REQUIRED
from autograder.course.authoring import (
    BuildError, autograde_source, build, lesson_notebook, lessons, parse_lesson, render_numbers,
)
from autograder.grading.submission import load_submission

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "07_test.py"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message", [
    ("# %% [markdown]\n# hello\n# %% [quiz]\nx = 1\n", "line 3: unknown cell marker"),
    ("# %% [markdown]\nnot a comment\n", "line 2: markdown lines must start with '# '"),
    ("# %% [autograde convolve_everything]\n", "line 1: no exercise 'convolve_everything'"),
    ("# %% [solution]\ndef f():\n    pass\n", "line 1: a solution cell needs a ### BEGIN SOLUTION region"),
    ("import numpy\n# %%\n", "line 1: text before the first '# %%' cell marker"),
    ("# %% [markdown]\n# {{ 1 / 0 }}\n", "cell at line 1: {{ 1 / 0 }} failed: ZeroDivisionError"),
])
def test_a_bad_lesson_says_where(tmp_path, text, message):
    with pytest.raises(BuildError, match=message.replace("(", r"\(").replace("{", r"\{").replace("}", r"\}")):
        parse_lesson(_write(tmp_path, text))


def test_prose_numbers_are_computed_by_the_reference():
    text = ("{{dense_params(28 * 28, 676)}} vs {{conv_params(3, 3, 1, 32)}}; "
            "{{pool(POOL_SPOT_THE_MISTAKE[None, :, :, None], (2, 2), (2, 2), 'max')[0, :, :, 0]}}; "
            "{{small_cnn_table()[3][1]}}")
    assert render_numbers(text) == "530,660 vs 320; [[4, 3], [4, 5]]; 5×5×64"


def test_autograded_cells_come_from_the_registry():
    src = autograde_source("convolve")
    assert 'autograde("convolve", convolve, hidden=hidden_cases)' in src
    assert src.index("### BEGIN HIDDEN TESTS") < src.index("hidden_cases = True") < src.index("### END HIDDEN TESTS")
    assert 'autograde("correlate_by_hand", output_00=output_00, output_full=output_full)' in \
        autograde_source("correlate_by_hand")
    assert "conv_params, dense_params, separable_params" in autograde_source("parameter_count")


def test_every_exercise_is_graded_once_in_its_notebook_with_its_points():
    graded = {}
    for path in lessons(ROOT):
        nb = lesson_notebook(parse_lesson(path))
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
        for cell in nb["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade"):
                slug = meta["grade_id"].removeprefix("autograde-")
                assert slug not in graded, slug
                graded[slug] = int(path.name[:2])
                assert meta["points"] == registry.get(slug).max_score and meta["locked"]
    assert graded == {e.slug: e.notebook for e in registry.EXERCISES}


def test_model_answers_have_the_catalogue_signatures():
    """The lessons' functions are what the registry says students write (names, order, defaults)."""
    namespace = {}
    for path in sorted((ROOT / "solutions").glob("[0-9]*.py")):
        exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - our own model answers
    for exercise in registry.EXERCISES:
        for spec in exercise.functions:
            params = list(inspect.signature(namespace[spec.name]).parameters.values())
            assert [p.name for p in params] == [p.name for p in spec.params], spec.name
            for p, want in zip(params, spec.params):
                expected = inspect.Parameter.empty if want.default is REQUIRED else want.default
                assert p.default == expected, (spec.name, p.name)


def test_the_grader_reads_the_same_code_from_a_source_notebook_and_its_model_answers():
    for path in lessons(ROOT):
        nb = load_submission(ROOT / "course" / "source" / path.stem / f"{path.stem}.ipynb").sources[0]
        py = load_submission(ROOT / "solutions" / f"{path.stem}.py").sources[0]
        strip = {"### BEGIN SOLUTION", "### END SOLUTION"}
        code = [ln for ln in nb.text.splitlines() if ln.strip() and ln.strip() not in strip]
        assert [ln for ln in py.text.splitlines() if ln.strip()][1:] == code


def test_generated_notebooks_have_no_outputs():
    for folder in ("course/source", "exercises"):
        for path in (ROOT / folder).rglob("*.ipynb"):
            nb = json.loads(path.read_text())
            assert nb["metadata"]["kernelspec"]["name"] == "python3", path
            assert all(not c.get("outputs") and c.get("execution_count") is None
                       for c in nb["cells"] if c["cell_type"] == "code"), path


def test_nothing_generated_has_drifted():
    """``convcourse build-course --check``: notebooks, model answers and the nbgrader release."""
    assert build(ROOT, check=True) == []


def test_check_finds_a_drifted_file_and_a_stale_one(tmp_path):
    for part in ("course/lessons", "course/source", "solutions"):
        shutil.copytree(ROOT / part, tmp_path / part)
    shutil.copy(ROOT / "course" / "nbgrader_config.py", tmp_path / "course")
    assert build(tmp_path, check=True, release=False) == []
    lesson = tmp_path / "course" / "lessons" / "04_pooling.py"
    lesson.write_text(lesson.read_text().replace("# # 4. Pooling", "# # 4. Pooling!"))
    (tmp_path / "solutions" / "old_answers.py").write_text("x = 1\n")
    drifted = build(tmp_path, check=True, release=False)
    assert drifted == ["course/source/04_pooling/04_pooling.ipynb", "solutions/old_answers.py"]
    assert build(tmp_path, release=False) == drifted            # the build mends both
    assert build(tmp_path, check=True, release=False) == []


def test_every_figure_a_lesson_draws_has_a_caption():
    """Lesson cells that draw with matplotlib themselves also call figures.caption (the figures module's
    own pictures always carry one: test_figures.py)."""
    for path in lessons(ROOT):
        for cell in parse_lesson(path).cells:
            if cell.kind == "code" and "plt.subplots(" in cell.source:
                assert "figures.caption(fig," in cell.source, (path.name, cell.line)


def test_the_commands_default_to_this_checkout():
    """build-course and the class demo default to the checkout the package sits in (the folders moved once
    and the defaults pointed one level too high: `make demo` failed)."""
    from autograder.classroom import classdemo
    from autograder.course import authoring

    assert authoring.ROOT == ROOT == classdemo.ROOT
    assert lessons() == lessons(ROOT) and lessons()
