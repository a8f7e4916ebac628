"""Reading .py files, notebooks (nbgrader solution cells, magics) and folders."""

from __future__ import annotations

import json

import pytest

from autograder.submission import SubmissionError, load_submission


def _nb(cells):
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code(src, solution=None):
    meta = {"nbgrader": {"solution": solution, "grade": False, "locked": False}} if solution is not None else {}
    return {"cell_type": "code", "source": src, "metadata": meta, "outputs": [], "execution_count": None}


def test_notebook_code_cells_with_magics_blanked(tmp_path):
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(_nb([{"cell_type": "markdown", "source": "# hi", "metadata": {}},
                                 _code("%matplotlib inline\nimport numpy as np"),
                                 _code(["def f(x):\n", "    !ls\n", "    return x"])])))
    sub = load_submission(p)
    (src,) = sub.sources
    assert src.syntax_error is None
    assert src.defines("f") and not src.defines("g")
    assert src.where(4) == "nb.ipynb, cell 3, line 1"


def test_nbgrader_notebooks_contribute_only_solution_cells(tmp_path):
    p = tmp_path / "a.ipynb"
    p.write_text(json.dumps(_nb([_code("def f():\n    return 1", solution=True),
                                 _code("assert f() == 2", solution=False)])))
    (src,) = load_submission(p).sources
    assert "assert" not in src.text and "def f" in src.text


def test_folder_of_files_later_files_win_and_syntax_errors_are_located(tmp_path):
    (tmp_path / "0-a.py").write_text("def f():\n    return 1\n")
    (tmp_path / "1-b.py").write_text("def f():\n    return 2\n\ndef g(:\n")
    (tmp_path / ".hidden.py").write_text("def h(): pass\n")
    sub = load_submission(tmp_path)
    assert [s.label for s in sub.sources] == ["0-a.py", "1-b.py"]
    assert sub.source_defining("f").label == "1-b.py"
    assert sub.sources[1].syntax_error.startswith("1-b.py, line 4")


@pytest.mark.parametrize("name, content, message", [
    ("missing", None, "no such file or folder"),
    ("x.txt", "hello", "expected a .py file, an .ipynb notebook or a folder"),
    ("bad.ipynb", "{not json", "not a readable notebook"),
])
def test_unreadable_submissions_say_why(tmp_path, name, content, message):
    p = tmp_path / name
    if content is not None:
        p.write_text(content)
    with pytest.raises(SubmissionError, match=message):
        load_submission(p)
