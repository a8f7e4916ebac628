"""Reading .py files, notebooks (nbgrader solution cells, magics) and folders."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.grading.submission import SubmissionError, load_submission


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


def test_sources_are_decoded_as_python_decodes_them(tmp_path):
    (tmp_path / "a.py").write_bytes("# -*- coding: latin-1 -*-\n# caf\xe9\ndef f():\n    return 'd\xe9j\xe0'\n"
                                    .encode("latin-1"))
    (tmp_path / "b.py").write_bytes("\ufeffdef g():\n    return 1\n".encode("utf-8"))
    (tmp_path / "c.py").write_bytes(b"def h():\n    return '\xff\xfe'\n")   # not UTF-8, and no cookie
    a, b, c = load_submission(tmp_path).sources
    assert a.syntax_error is None and a.encoding == "iso-8859-1" and "déjà" in a.text
    assert b.syntax_error is None and b.defines("g") and not b.text.startswith("\ufeff")
    assert c.syntax_error.startswith("c.py: cannot be decoded") and c.defines("h")


def test_hostile_sources_are_located_reasons_not_tracebacks(tmp_path):
    (tmp_path / "deep.py").write_text("x = " + "+".join(["1"] * 5000) + "\ndef f():\n    return 1\n")
    (tmp_path / "nul.py").write_text("def g():\n    return 1\n\0\n")
    deep, nul = load_submission(tmp_path).sources
    assert "too deeply nested" in deep.syntax_error and deep.defines("f")
    assert nul.syntax_error and nul.defines("g")


@pytest.mark.parametrize("name, content, message", [
    ("deep.ipynb", '{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ("list.ipynb", "[1, 2]", "not a JSON object"),
    ("cells.ipynb", '{"cells": "abc"}', "not a list"),
])
def test_hostile_notebooks_say_why(tmp_path, name, content, message):
    p = tmp_path / name
    p.write_text(content)
    with pytest.raises(SubmissionError, match=message):
        load_submission(p)


def test_size_caps(tmp_path, monkeypatch):
    import autograder.grading.submission as submission

    monkeypatch.setattr(submission, "MAX_SOURCE_BYTES", 100)
    p = tmp_path / "big.py"
    p.write_text("x = 1\n" * 50)
    with pytest.raises(SubmissionError, match="more than the 100 a submission's file may have"):
        load_submission(p)
    monkeypatch.setattr(submission, "MAX_FILES", 2)
    for i in range(3):
        (tmp_path / f"f{i}.py").write_text("x = 1\n")
    with pytest.raises(SubmissionError, match="more than the 2"):
        load_submission(tmp_path)


def test_magics_are_read_by_ipython_not_a_pattern(tmp_path):
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(_nb([
        _code("x = (7\n% 2)\n"),                              # the modulo operator, on its own line
        _code("%%time\ndef f(a):\n    return a % 2\n"),        # a timed cell of definitions stays code
        _code("%matplotlib inline\nfiles = !ls\nnp.zeros?\n"),
        _code("%%bash\necho hi\n"),
    ])))
    (src,) = load_submission(p).sources
    assert src.syntax_error is None and not src.broken
    assert "x = (7\n% 2)" in src.text and src.defines("f")
    assert "get_ipython().run_line_magic('matplotlib', 'inline')" in src.text
    assert src.where(src.text.splitlines().index("def f(a):") + 1) == "nb.ipynb, cell 2, line 2"


def test_a_cell_that_does_not_parse_costs_only_what_it_defines(tmp_path):
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(_nb([_code("def f():\n    return 1\n"), _code("def g(:\n    return 2\n"),
                                 _code("def h():\n    return 3\n")])))
    (src,) = load_submission(p).sources
    assert src.syntax_error is None and list(src.broken) == [2]
    assert src.defines("f") and src.defines("g") and src.defines("h")
    assert src.problem("f") is None and src.problem("h") is None
    assert src.problem("g") == "nb.ipynb, cell 2, line 1: invalid syntax"
    assert "def g" not in src.text and src.where(7) == "nb.ipynb, cell 3, line 1"


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=30)
_cell = st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", "raw", 3]),
                               "source": st.one_of(st.text(max_size=80), st.lists(st.text(max_size=30), max_size=4), _json),
                               "metadata": st.one_of(_json, st.just({"nbgrader": {"solution": True}}))})
_notebook = st.one_of(_json, st.fixed_dictionaries({"cells": st.one_of(st.lists(_cell, max_size=5), _json)}))


def _read_back(sub):
    for src in sub.sources:
        assert isinstance(src.text, str)
        for name in ("f", "convolve"):
            src.defines(name)
            src.problem(name)
        src.where(3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_any_bytes_as_a_file_are_a_source_or_one_reason(tmp_path, data):
    p = tmp_path / "s.py"
    p.write_bytes(data)
    try:
        _read_back(load_submission(p))
    except SubmissionError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nb=_notebook, raw=st.binary(max_size=100), as_bytes=st.booleans())
def test_any_notebook_is_a_source_or_one_reason(tmp_path, nb, raw, as_bytes):
    p = tmp_path / "n.ipynb"
    if as_bytes:
        p.write_bytes(raw)
    else:
        p.write_text(json.dumps(nb))
    try:
        _read_back(load_submission(p))
    except SubmissionError as exc:
        assert "\n" not in str(exc)


def test_links_and_special_files_are_refused_never_read(tmp_path):
    """A link to a classmate's work or the model answers would be graded as the student's own, and a link to
    /proc/kmsg or a FIFO would block the grader's read forever."""
    import os

    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "work.py").write_text("def f():\n    return 1\n")
    bob = tmp_path / "bob"
    bob.mkdir()
    (bob / "mine.py").write_text("x = 1\n")
    (bob / "copied.py").symlink_to(tmp_path / "alice" / "work.py")
    with pytest.raises(SubmissionError, match="a symbolic link: a submission's files must be its own"):
        load_submission(bob)
    (bob / "copied.py").unlink()
    (bob / "kmsg.py").symlink_to("/proc/kmsg")
    with pytest.raises(SubmissionError, match="symbolic link"):
        load_submission(bob)
    (bob / "kmsg.py").unlink()
    (tmp_path / "link.py").symlink_to(tmp_path / "alice" / "work.py")
    with pytest.raises(SubmissionError, match="symbolic link"):
        load_submission(tmp_path / "link.py")
    os.mkfifo(bob / "pipe.py")
    assert [s.label for s in load_submission(bob).sources] == ["mine.py"]   # not a file: not code
    with pytest.raises(SubmissionError, match="not a regular file"):
        load_submission(bob / "pipe.py")


def test_file_names_that_a_terminal_or_xml_cannot_take_are_escaped(tmp_path):
    (tmp_path / "\x1b[31mred\x01.py").write_text("def f():\n    return 1\n")
    (src,) = load_submission(tmp_path).sources
    assert src.label == "\\x1b[31mred\\x01.py"
