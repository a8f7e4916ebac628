"""A student repository's file names reach the class workflow's job summary and log unescaped.

Attack: mallory commits a symbolic link to /etc/passwd whose *name* holds newlines, Markdown/HTML and a
GitHub Actions workflow command. ``fetch-class`` leaves the link out (good) but lists its name in
``Fetched.detail`` ("left out, as they point outside the repository: <name>"), which is

* printed by the fetch step (``progress=print``) to the Actions log, where a line of the student's
  starting with ``::`` is a workflow command (``::error``, ``::warning``, ``::add-mask::``,
  ``::stop-commands::``...), and
* written by the grade step's summary script into ``$GITHUB_STEP_SUMMARY`` with only ``|`` replaced by
  ``/`` (which even hands the student the ``/`` a file name cannot hold, e.g. ``<|h2>`` -> ``</h2>``).

Harm: the student ends the score table and writes their own Markdown/HTML into the staff's job summary
(a fake heading or table of grades naming classmates, images that call home when the staff open it),
and plants annotations in the staff's run. Git allows any byte but NUL and ``/`` in a name, and GitHub
accepts such names.
"""

from __future__ import annotations

import json
import os

from tests.test_templates import (AFTER, BEFORE, CLASS_WORKFLOW, DEADLINE, ORG, POOLING, PREFIX, SECRET, _fetch,
                                  _git, _grade, _student_repo)

NAME = ("x\n\n<h2>convcourse: bob 0 of 141 (plagiarism)<|h2>\n\n"
        "::error title=convcourse::bob copied his pooling\n\n<img src=\"https:||evil.example|track.png\">")


def test_a_file_name_cannot_write_the_job_summary_or_workflow_commands(tmp_path):
    remote = tmp_path / "remote"
    _student_repo(remote, "alice", [(BEFORE, POOLING)])
    _student_repo(remote, "bob", [(BEFORE, POOLING)])
    _student_repo(remote, "mallory", [(BEFORE, POOLING)])
    work = remote / "work" / "mallory"
    os.symlink("/etc/passwd", work / NAME)
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", "links", cwd=work, date=BEFORE)
    _git("push", "-q", str(remote / ORG / f"{PREFIX}-mallory"), "main", cwd=work)
    (remote / "classroom_roster.csv").write_text("alice\nbob\nmallory\n")

    workspace = tmp_path / "ws"
    fetched = _fetch(workspace, remote, DEADLINE)
    assert fetched.returncode == 0, fetched.stderr
    manifest = {s["login"]: s for s in json.loads((workspace / "fetch.json").read_text())["students"]}
    assert manifest["mallory"]["status"] == "fetched" and "left out" in manifest["mallory"]["detail"]
    # the fetch step's log: no line of the student's own
    assert not [line for line in fetched.stdout.splitlines() if line.startswith("::")], fetched.stdout

    graded = _grade(workspace, SECRET)
    assert graded.returncode == 0, graded.stderr
    summary = (workspace / "summary.md").read_text()
    table = summary[summary.index("| login | commit | score | note |"):].strip().splitlines()
    # exactly the header, the rule and one row per student: nothing else comes after the table
    assert len(table) == 2 + 3, summary
    assert table[1] == "|---|---|---|---|" and all(line.startswith("| ") and line.endswith(" |") for line in table[:1] + table[2:]), summary
    assert "<h2>" not in summary and "</h2>" not in summary and "<img" not in summary, summary
