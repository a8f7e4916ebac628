"""A student's file name reaches grade-class's per-student summary, progress lines and CI log verbatim.

Attack: mallory hands in a broken notebook whose *file name* holds a newline, a forged summary line for
a classmate, a GitHub Actions workflow command and an ANSI escape. ``_notebook_source`` puts the raw path
in its SubmissionError (the other SubmissionErrors go through ``printable``), ``what_went_wrong`` prints
``FAILED: {g.error}`` without escaping or cutting it, and the progress line prints ``g.error`` too.

Harm: the end-of-run summary (which the class workflow tees into the Actions log and ``grade-class.txt``)
gets lines that look like the grader's own ("  bob  0/141: ... copied"), the runner executes
``::error``/``::warning``/``::add-mask::`` commands the student wrote, and on a terminal the escape
sequences can erase or rewrite the lines above (e.g. bob's real line).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONVCOURSE = str(Path(sys.executable).parent / "convcourse")

FORGED = "  bob      0\u2215141: plagiarism: copied from mallory"
EVIL_NAME = f"x\n::error title=convcourse::bob's submission was copied\n{FORGED}\x1b[2K\x1b[1A.ipynb"


def _class(tmp_path: Path) -> Path:
    root = tmp_path / "class"
    (root / "bob").mkdir(parents=True)
    (root / "bob" / "submission.py").write_text((ROOT / "solutions" / "04_pooling.py").read_text())
    (root / "mallory").mkdir()
    (root / "mallory" / EVIL_NAME).write_text("not a notebook")
    return root


def test_a_file_name_cannot_forge_summary_lines_or_workflow_commands(tmp_path):
    root = _class(tmp_path)
    done = subprocess.run([CONVCOURSE, "grade-class", str(root), "--out", str(tmp_path / "out"), "--practice",
                           "--no-perf", "--workers", "1"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out_lines = done.stdout.splitlines() + done.stderr.splitlines()
    # the grader's own lines only: nothing the student wrote starts a line of its own
    assert not [line for line in out_lines if line.startswith("::")], done.stdout
    assert not [line for line in out_lines if "plagiarism" in line and not line.lstrip().startswith(("mallory", "[")) ], \
        done.stdout
    assert "\x1b" not in done.stdout + done.stderr
    mallory = [line for line in done.stdout.splitlines() if line.lstrip().startswith("mallory")]
    assert len(mallory) == 1 and "FAILED" in mallory[0]


def test_an_exception_type_name_cannot_forge_a_summary_line(tmp_path):
    """The same through the sandbox: the child's exception *type name* is made ``printable`` (which keeps
    newlines) and ``what_went_wrong`` quotes it for an exercise whose module raised at import. Harm: a
    line "  bob  0/141 copied" in the summary, under mallory's, that reads as the grader's line for bob."""
    root = tmp_path / "class"
    (root / "mallory").mkdir(parents=True)
    (root / "mallory" / "a.py").write_text('E = type("E\\n  bob  0/141 copied", (Exception,), {})\nraise E("x")\n'
                                           "def output_00(*a):\n    return 0\n")
    done = subprocess.run([CONVCOURSE, "grade-class", str(root), "--out", str(tmp_path / "out"), "--practice",
                           "--no-perf", "--workers", "1", "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "could not be loaded" in done.stdout
    assert not [line for line in done.stdout.splitlines() if line.lstrip().startswith("bob")], done.stdout
