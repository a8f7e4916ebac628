"""``make demo``'s class: nbgrader and convcourse grading the same six students, side by side.

In a scratch copy of the course: generate the student release of assignment 02, hand in six kinds of
work (:mod:`.sampleclass`), run ``nbgrader autograde`` and ``convcourse grade-class`` on them, write the
hardened scores into the gradebook, and print both; then grade the class again on a local Dask cluster and
print both throughputs. Run ``python -m autograder.classroom.classdemo``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..course.authoring import ROOT, run_nbgrader
from ..grading.results import shown
from .sampleclass import ASSIGNMENT, make_class

__all__ = ["STUDENTS", "run_demo"]

STUDENTS = {"alice": "correct", "bob": "slow", "carol": "same-plus-one", "dave": "assert-patch",
            "erin": "numba-hang", "frank": "empty"}


def _nbgrader(args: list[str], course: Path) -> subprocess.CompletedProcess:
    secret = {"CONVCOURSE_SECRET": os.environ.get("CONVCOURSE_SECRET", "demo-secret")}
    return run_nbgrader([*args, "--log-level=ERROR"], course, env=secret)


def _nbgrader_scores(course: Path) -> dict[str, tuple[float, float] | None]:
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in STUDENTS:
            failed = not (course / "autograded" / student / ASSIGNMENT).exists()
            try:
                sub = gb.find_submission(ASSIGNMENT, student)
                scores[student] = None if failed else (sub.score, sub.max_score)
            except MissingEntry:
                scores[student] = None
    return scores


def run_demo(work: Path | None = None, cell_timeout: int = 20) -> Path:
    """Run the whole demo in ``work`` (default: a new temporary folder, kept); returns that folder."""
    from .classgrade import Settings, grade_class, summary
    from .gradebook import write_scores

    started = time.perf_counter()
    work = Path(work or tempfile.mkdtemp(prefix="convcourse-demo-"))
    course = work / "course"
    shutil.copytree(ROOT / "course", course, ignore=shutil.ignore_patterns(
        "lessons", "gradebook.db", "release", "submitted", "autograded", "feedback"))
    os.environ.setdefault("CONVCOURSE_SECRET", "demo-secret")
    print(f"1. nbgrader generate_assignment {ASSIGNMENT}  (in {course})")
    done = _nbgrader(["generate_assignment", ASSIGNMENT, "--force"], course)
    if done.returncode:
        raise SystemExit(f"nbgrader generate_assignment failed:\n{done.stdout}{done.stderr}")
    make_class(course, STUDENTS)
    print("2. six students hand in: " + ", ".join(f"{s} ({k})" for s, k in STUDENTS.items()))
    print(f"3. nbgrader autograde {ASSIGNMENT}  (each cell may run {cell_timeout} s)")
    t0 = time.perf_counter()
    _nbgrader(["autograde", ASSIGNMENT, "--force", f"--Execute.timeout={cell_timeout}"], course)
    nbgrader_seconds = time.perf_counter() - t0
    theirs = _nbgrader_scores(course)
    print("4. convcourse grade-class course --gradebook")
    t0 = time.perf_counter()
    run = grade_class(course, work / "grades", Settings(), progress=False)
    ours_seconds = time.perf_counter() - t0
    written = write_scores(f"sqlite:///{course / 'gradebook.db'}", run.rows(), autograded=course / "autograded")
    # nbgrader's feedback from the gradebook and the autograded notebooks, both now the hardened grader's
    _nbgrader(["generate_feedback", ASSIGNMENT, "--force"], course)
    print(summary(run))
    print(f"   gradebook: {written.updated} grade cells written (tier points as extra credit), "
          f"{written.outputs} autograded notebooks now show these scores in their grade cells\n")

    by_student = {g.entry.student: g for g in run.graded}
    header = f"{'student':<7} {'work':<14} {'nbgrader autograde':<20} {'convcourse grade-class':<26} why they differ"
    print(header)
    print("-" * len(header))
    for student, kind in STUDENTS.items():
        mine = theirs[student]
        nb = "FAILED (shows 0)" if mine is None else f"{mine[0]:g} / {mine[1]:g}"
        r = by_student[student].result
        ours = f"{shown(r.score - r.extra_credit)} / {shown(r.max_score)} + {shown(r.extra_credit)} tier"
        print(f"{student:<7} {kind:<14} {nb:<20} {ours:<26} {_why(r)}")
    print("\nfeedback files:")
    for student in STUDENTS:
        theirs_fb = course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        ours_fb = run.out / student / ASSIGNMENT / "feedback.html"
        print(f"  {student:<7} convcourse {ours_fb}")
        print(f"  {'':<7} nbgrader   {theirs_fb if theirs_fb.exists() else '(none: autograde failed)'}")
    _on_dask(course, work, run)
    print(f"\nnbgrader autograde took {nbgrader_seconds:.0f} s, convcourse grade-class {ours_seconds:.0f} s "
          f"(with performance tiers, {run.workers} workers); whole demo {time.perf_counter() - started:.0f} s. "
          f"Everything is in {work}")
    return work


def _on_dask(course: Path, work: Path, pool_run) -> None:
    """The same class graded again on a local Dask cluster (``--scheduler local:N``); both throughputs,
    start-up included."""
    from .classgrade import Settings, grade_class
    from .daskgrade import ClusterError

    n = pool_run.workers
    print(f"\n5. the same class on a local Dask cluster: convcourse grade-class course --scheduler local:{n}")
    try:
        dask_run = grade_class(course, work / "grades-dask", Settings(), progress=False, scheduler=f"local:{n}")
    except ClusterError as exc:
        print(f"   skipped: {exc}")
        return
    for name, r in (("local pool", pool_run), (f"Dask local:{n}", dask_run)):
        graded = sum(g.state == "graded" for g in r.graded)
        print(f"   {name + ':':<14} {graded} submissions graded in {r.seconds:.1f} s, "
              f"{60 * graded / r.seconds:.1f} a minute")


def _why(result) -> str:
    """The first exercise that lost correctness points, and the grader's reason in a few words."""
    for e in result.exercises:
        if e.status != "passed":
            if e.diagnoses:
                return f"{e.slug}: {e.diagnoses[0]}"
            failing = next((c for c in e.cases if not c.passed), None)
            why = _after_call(failing.message) if failing else e.message.split(" raised ", 1)[-1]
            broken = [r.message for r in e.rules if not r.passed]
            return f"{e.slug}: {why[:50]}" + (f"; rules: {broken[0][:40]}" if broken else "")
    return ""


def _after_call(message: str) -> str:
    """The message without its leading ``name(arguments)`` (the table has no room for the call)."""
    start = message.find("(")
    if start < 0:
        return message
    depth = 0
    for i, ch in enumerate(message[start:], start):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return message[i + 1:].lstrip(" :")
    return message


if __name__ == "__main__":
    run_demo()
