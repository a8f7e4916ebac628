"""Grading a class: finding submissions, the two nbgrader exploits, records, resuming, a kill halfway."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.exercises import registry
from autograder.classroom.classgrade import Settings, grade_class, summary
from autograder.classroom.roster import Entry, exercises_for, find_submissions, fingerprint
from autograder.classroom.sampleclass import ASSIGNMENT, make_class
from autograder.grading.submission import SubmissionError
from tests.leftovers import still_running

ROOT = Path(__file__).resolve().parents[2]
CONVCOURSE = str(Path(sys.executable).parent / "convcourse")


def _class(tmp_path, students: dict[str, str]) -> Path:
    return make_class(ROOT / "course", students, release=ROOT / "exercises", submitted=tmp_path / "submitted")


def test_find_submissions_in_every_layout(tmp_path):
    nb = tmp_path / "course" / "submitted"
    for student in ("bob", "alice"):
        (nb / student / "01_convolution_by_hand").mkdir(parents=True)
        (nb / student / "01_convolution_by_hand" / "01_convolution_by_hand.ipynb").write_text("{}")
    (nb / "alice" / "02_padding_stride_dilation" / ".ipynb_checkpoints").mkdir(parents=True)
    (nb / "alice" / "02_padding_stride_dilation" / "notes.ipynb").write_text("{}")
    want = [Entry("alice", "01_convolution_by_hand", nb / "alice" / "01_convolution_by_hand"),
            Entry("alice", "02_padding_stride_dilation", nb / "alice" / "02_padding_stride_dilation"),
            Entry("bob", "01_convolution_by_hand", nb / "bob" / "01_convolution_by_hand")]
    assert find_submissions(nb) == want
    (tmp_path / "course" / "nbgrader_config.py").write_text("")
    assert find_submissions(tmp_path / "course") == want          # a course folder: its submitted/

    flat = tmp_path / "flat"
    (flat / "carol").mkdir(parents=True)
    (flat / "carol" / "work.py").write_text("x = 1\n")
    (flat / "dave.ipynb").write_text("{}")
    (flat / ".hidden.py").write_text("")
    assert find_submissions(flat) == [Entry("carol", None, flat / "carol"), Entry("dave", None, flat / "dave.ipynb")]
    assert Entry("carol", None, flat / "carol").key == "carol"

    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionError, match="no submissions found"):
        find_submissions(tmp_path / "empty")
    with pytest.raises(SubmissionError, match="no such folder"):
        find_submissions(tmp_path / "nope")


def test_an_assignment_grades_its_notebooks_exercises():
    assert exercises_for("02_padding_stride_dilation") == [e.slug for e in registry.EXERCISES if e.notebook == 2]
    assert exercises_for("homework") is None and exercises_for(None) is None


def test_the_fingerprint_follows_the_code_only(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    before = fingerprint(tmp_path)
    (tmp_path / "notes.txt").write_text("not code")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{}")
    assert fingerprint(tmp_path) == before
    (tmp_path / "a.py").write_text("x = 2\n")
    assert fingerprint(tmp_path) != before


@pytest.mark.slow
def test_a_class_with_both_exploits_graded_recorded_and_resumed(tmp_path):
    students = {"alice": "correct", "carol": "same-plus-one", "dave": "assert-patch", "erin": "numba-hang",
                "frank": "empty"}
    submitted = _class(tmp_path, students)
    out = tmp_path / "grades"
    settings = Settings(perf=False, timeout=5.0, formats=("junit",))
    run = grade_class(submitted, out, settings, workers=2, progress=False)
    assert [g.state for g in run.graded] == ["graded"] * 5
    results = {g.entry.student: {e.slug: e for e in g.result.exercises} for g in run.graded}
    assert all(e.status == "passed" for e in results["alice"].values())
    assert results["carol"]["convolve_grayscale_same"].diagnoses[0] == "same-padding-plus-one"
    # the cheat patched the checks in its own kernel: here its function is graded as what it is
    dave = results["dave"]
    assert dave["convolve_grayscale_same"].score == 0 and dave["output_size"].status == "passed"
    assert dave["convolve_grayscale"].status == "passed"
    # the Numba hang cannot even load (Numba is not in the sandbox) and costs that exercise only; the rest
    # of erin's work, in other cells, is graded normally
    erin = results["erin"]["convolve_grayscale_same"]
    assert erin.status == "error" and "No module named 'numba'" in erin.message
    assert results["erin"]["convolve_grayscale_padding"].status == "passed"
    assert all(e.score == 0 for e in results["frank"].values())
    assert "Not implemented" in results["frank"]["convolve_grayscale"].message \
        or "not implemented" in results["frank"]["convolve_grayscale"].message

    for student in students:
        folder = out / student / ASSIGNMENT
        data = json.loads((folder / "results.json").read_text())
        assert data["schema"] == "convcourse.results/2" and data["student"] == student
        assert "<html>" in (folder / "feedback.html").read_text() and (folder / "junit.xml").exists()
        umask = os.umask(0)
        os.umask(umask)
        assert (folder / "feedback.html").stat().st_mode & 0o777 == 0o666 & ~umask   # as any file the user writes
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert [r["student"] for r in rows] == list(students)
    assert rows[1]["convolve_grayscale_same_diagnosis"] == "same-padding-plus-one"
    text = summary(run)
    assert "5 submissions: 5 graded, 0 kept" in text and "same-padding-plus-one (1)" in text

    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("results.json")}
    again = grade_class(submitted, out, settings, workers=2, progress=False)
    assert [g.state for g in again.graded] == ["kept"] * 5
    assert {p: p.stat().st_mtime_ns for p in out.rglob("results.json")} == stamps
    assert [g.result.to_json() for g in again.graded] == [g.result.to_json() for g in run.graded]

    notebook = submitted / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook.write_text(notebook.read_text().replace("+ 1", "+ 0"))
    third = grade_class(submitted, out, settings, workers=2, progress=False)
    assert [g.state for g in third.graded] == ["kept", "graded", "kept", "kept", "kept"]
    fixed = {e.slug: e for e in third.graded[1].result.exercises}["convolve_grayscale_same"]
    assert fixed.diagnoses and "same-padding-plus-one" not in fixed.diagnoses   # one mistake fixed, the next shows


@pytest.mark.slow
def test_a_killed_run_loses_nothing_and_regrades_nothing(tmp_path):
    submitted = _class(tmp_path, {f"s{i}": ("correct", "slow", "same-plus-one")[i % 3] for i in range(8)})
    out = tmp_path / "grades"
    cmd = [CONVCOURSE, "grade-class", str(submitted), "--out", str(out), "--no-perf", "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while len(list(out.glob("*/*/.done"))) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded = len(list(out.glob("*/*/.done")))
    assert 3 <= recorded < 8
    time.sleep(1.0)
    assert not still_running(grace=2.0)            # no student code left running

    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    m = re.search(r"8 submissions: (\d+) graded, (\d+) kept from an earlier run, 0 failed", done.stdout)
    assert m and int(m[2]) == recorded and int(m[1]) == 8 - recorded, done.stdout
    assert len(list(out.glob("*/*/.done"))) == 8 and len(list(out.glob("*/*/results.json"))) == 8

    # The killed workers could not remove their sandboxes' cgroups: those are empty (their processes
    # died with them), and the next grader sweeps them once a minute old; sweep them now.
    from autograder.sandbox.limits import Containment

    from autograder.sandbox.limits import _owner, process_running

    # (only the killed graders' groups: another grader on this machine may be running sandboxes now)
    left = [p for c in ("pids", "memory", "cpuacct") for p in Path(f"/sys/fs/cgroup/{c}").glob("convcourse-*")
            if (_owner(p.name) is None or not process_running(_owner(p.name)))]
    assert all(not (p / "cgroup.procs").read_text().strip() for p in left)
    Containment.sweep_stale(min_age=0)
    # and the rerun removed the killed graders' private folders (submission copies, exchange files)
    killed = [p for folder in ("/tmp", "/dev/shm") for p in Path(folder).glob("convcourse-*-*-*")
              if p.name.split("-")[2].isdigit() and not Path(f"/proc/{p.name.split('-')[2]}").exists()]
    assert not killed, killed


def test_cli_says_why_it_cannot_grade_a_class(tmp_path):
    done = subprocess.run([CONVCOURSE, "grade-class", str(tmp_path / "nothing")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no such folder" in done.stderr


@pytest.mark.slow
def test_a_student_who_signals_and_snoops_cannot_touch_a_classmate(tmp_path, monkeypatch):
    """Graded at once beside honest classmates, the golden suite's signalling, clock-faking and snooping
    attacks reach nobody: every honest classmate passes, every record is written, the run finishes."""
    import shutil

    monkeypatch.setenv("CONVCOURSE_SECRET", "golden-secret-class")
    golden = Path(__file__).resolve().parents[1] / "submissions"
    kinds = {"ann": "correct-loops", "bob": "attack-signals", "cat": "correct-loops", "dan": "attack-clock",
             "eve": "attack-snoop", "fay": "correct-loops", "gus": "attack-cpu-hog", "hal": "correct-loops"}
    root = tmp_path / "class"
    for student, kind in kinds.items():
        shutil.copytree(golden / kind, root / student, ignore=shutil.ignore_patterns("expected.json"))
    run = grade_class(root, tmp_path / "out", Settings(perf=False, timeout=5.0), workers=2, progress=False)
    assert sorted(g.state for g in run.graded) == ["graded"] * len(kinds)
    results = {g.entry.student: {e.slug: e for e in g.result.exercises} for g in run.graded}
    for student in ("ann", "cat", "fay", "hal"):   # hal is graded beside gus's spinning processes
        assert all(e.status == "passed" for e in results[student].values() if e.status != "missing"), student
        assert results[student]["convolve_grayscale_valid"].status == "passed"
    assert results["bob"]["convolve_grayscale_valid"].status == "passed"     # its signals reached nobody
    assert results["eve"]["convolve_grayscale_valid"].status == "passed"     # it found nothing to read
    for student in kinds:
        assert (tmp_path / "out" / student / "results.json").exists()


def _flat_class(tmp_path, students: dict[str, str]) -> Path:
    """One folder per student, each a copy of a golden submission (``kind``), or ``.py`` text."""
    import shutil

    root = tmp_path / "class"
    root.mkdir()
    for student, kind in students.items():
        if kind.endswith("\n"):
            (root / f"{student}.py").write_text(kind)
        else:
            shutil.copytree(ROOT / "tests" / "submissions" / kind, root / student,
                            ignore=shutil.ignore_patterns("expected.json"))
    return root


_SLOW = "import numpy as np\nimport time\n\n\ndef global_average_pool(images):\n    time.sleep(1.0)\n" \
        "    return images.mean(axis=(1, 2))\n"


@pytest.mark.slow
def test_a_worker_that_dies_costs_its_submission_one_retry_and_nobody_else_anything(tmp_path):
    """The worker grading zed is killed (as the kernel's OOM killer would), and again on the retry: zed is
    recorded as could-not-grade with the reason, every classmate is graded and recorded, a rerun regrades
    nothing."""
    root = _flat_class(tmp_path, {"ann": "correct-loops", "bob": "same-plus-one", "cat": "correct-loops",
                                  "dan": "stride-ignored", "zed": _SLOW})
    out = tmp_path / "grades"
    cmd = [CONVCOURSE, "grade-class", str(root), "--out", str(out), "--no-perf", "--workers", "2", "--timeout", "5"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed, deadline = [], time.time() + 300
    while proc.poll() is None and time.time() < deadline:
        try:
            pid = int((out / "zed" / ".grading").read_text())
        except (OSError, ValueError):
            pid = None
        if pid is not None and pid not in killed:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        time.sleep(0.02)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr[-2000:]
    assert len(killed) == 2                               # the first death, and the retry's
    assert "5 submissions: 4 graded, 0 kept from an earlier run, 1 failed" in stdout, stdout
    problems = stdout.split("what went wrong, per submission:\n", 1)[1]
    assert re.search(r"^  zed +FAILED: the process grading it died twice", problems, re.M), stdout
    zed = json.loads((out / "zed" / "results.json").read_text())
    assert {e["status"] for e in zed["exercises"]} == {"error"}
    assert all("could not grade this submission: the process grading it died twice" in e["message"]
               for e in zed["exercises"])
    for student in ("ann", "bob", "cat", "dan"):
        data = json.loads((out / student / "results.json").read_text())
        assert any(e["status"] in ("passed", "failed") for e in data["exercises"]), student
    assert not list(out.glob("*/.grading")) and not still_running(grace=2.0)
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert [r["student"] for r in rows] == ["ann", "bob", "cat", "dan", "zed"]

    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert "5 submissions: 0 graded, 5 kept from an earlier run" in again.stdout, again.stdout


def test_records_are_authenticated_a_changed_or_forged_one_is_graded_again(tmp_path):
    root = _flat_class(tmp_path, {"ann": "correct-loops", "bob": "correct-loops", "cat": "same-plus-one"})
    out = tmp_path / "grades"
    settings = Settings(perf=False, timeout=5.0, secret="course-secret")
    slugs_run = grade_class(root, out, settings, workers=2, progress=False)
    assert [g.state for g in slugs_run.graded] == ["graded"] * 3

    # ann edits her score; cat copies bob's records (same code as ann's, a passing grade) over her own
    results = out / "ann" / "results.json"
    data = json.loads(results.read_text())
    data["exercises"][0]["score"] = 99
    results.write_text(json.dumps(data))
    for name in ("results.json", "feedback.html", ".done"):
        (out / "cat" / name).write_bytes((out / "bob" / name).read_bytes())
    again = grade_class(root, out, settings, workers=2, progress=False)
    assert [g.state for g in again.graded] == ["graded", "kept", "graded"]
    assert json.loads(results.read_text())["exercises"][0]["score"] != 99
    assert json.loads((out / "cat" / "results.json").read_text())["student"] == "cat"

    # a stamp made without the key does not verify; the same records under another secret are regraded
    stamp = json.loads((out / "bob" / ".done").read_text())
    (out / "bob" / ".done").write_text(json.dumps(dict(stamp, hmac="0" * 64)))
    third = grade_class(root, out, settings, workers=2, progress=False)
    assert [g.state for g in third.graded] == ["kept", "graded", "kept"]
    other = grade_class(root, out, Settings(perf=False, timeout=5.0, secret="another-secret"), workers=2,
                        progress=False)
    assert [g.state for g in other.graded] == ["graded"] * 3


@pytest.mark.slow
def test_ctrl_c_stops_a_class_run_cleanly_and_a_rerun_resumes(tmp_path):
    """Ctrl-C stops the workers at once, a slow submission half-graded included (its 6 calls of 2.5 s each
    would take 15 s), and a rerun grades the rest."""
    students = {f"s{i}": ("correct-loops", "same-plus-one")[i % 2] for i in range(8)}
    root = _flat_class(tmp_path, dict(students, s3=_SLOW.replace("time.sleep(1.0)", "time.sleep(2.5)"),
                                      s4=_SLOW.replace("time.sleep(1.0)", "time.sleep(2.5)")))
    out = tmp_path / "grades"
    cmd = [CONVCOURSE, "grade-class", str(root), "--out", str(out), "--no-perf", "--workers", "2", "--timeout", "3"]
    # as from a terminal: Ctrl-C is not ignored (a shell's background job, as `make test &` is, ignores it,
    # and so would the run under test, which then rightly grades on)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 300
    while not (out / "s3" / ".grading").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)                    # what the terminal sends the whole foreground group
    interrupted = time.monotonic()
    stdout, stderr = proc.communicate(timeout=60)
    assert time.monotonic() - interrupted < 8, "the run went on grading after Ctrl-C"
    assert proc.returncode == 130 and "interrupted" in stderr and "run the same command again" in stderr, stderr
    recorded = len(list(out.glob("*/.done")))
    assert not still_running(grace=2.0)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    m = re.search(r"8 submissions: (\d+) graded, (\d+) kept from an earlier run, 0 failed", done.stdout)
    assert m and int(m[2]) == recorded >= 2 and int(m[1]) + int(m[2]) == 8, done.stdout


def _grade(root, out, *extra):
    done = subprocess.run([CONVCOURSE, "grade-class", str(root), "--out", str(out), "--practice", "--no-perf",
                           "--quiet", *extra], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_asking_for_other_formats_rewrites_records_without_regrading(tmp_path):
    """The guide's order (grade-class --gradescope --junit, then --gradebook alone after nbgrader autograde)
    must keep every record: the extra formats are written from the verified result, or removed."""
    root = _flat_class(tmp_path, {"ann": (ROOT / "solutions" / "04_pooling.py").read_text() + "\n"})
    out = tmp_path / "grades"
    _grade(root, out, "--gradescope", "--junit")
    assert (out / "ann" / "gradescope.json").exists() and (out / "ann" / "junit.xml").exists()
    results = (out / "ann" / "results.json").read_text()
    again = _grade(root, out)
    assert "0 graded, 1 kept" in again.stdout, again.stdout
    assert not (out / "ann" / "gradescope.json").exists() and not (out / "ann" / "junit.xml").exists()
    assert (out / "ann" / "results.json").read_text() == results
    third = _grade(root, out, "--junit")
    assert "0 graded, 1 kept" in third.stdout and (out / "ann" / "junit.xml").exists()
    assert set(json.loads((out / "ann" / ".done").read_text())["records"]) == {"results.json", "feedback.html",
                                                                                "junit.xml"}
    assert "0 graded, 1 kept" in _grade(root, out, "--junit").stdout      # and the rewritten .done verifies


def test_a_folder_per_student_is_graded_on_one_notebook_with_assignment(tmp_path):
    """fetch-class's layout (class/<login>/) graded as one homework: that notebook's exercises only, and
    its own Canvas column."""
    root = _flat_class(tmp_path, {"ann": (ROOT / "solutions" / "04_pooling.py").read_text() + "\n"})
    out = tmp_path / "grades"
    done = _grade(root, out, "--assignment", "04_pooling")
    data = json.loads((out / "ann" / "results.json").read_text())
    assert {e["slug"] for e in data["exercises"]} == {"pool", "global_average_pool"}
    assert data["score"] == data["max_score"] and "what went wrong" not in done.stdout
    canvas = (out / "canvas.csv").read_text().splitlines()
    assert canvas[0].endswith(",convcourse 04_pooling") and canvas[2].endswith(f",{data['score']:g}")
    whole = _grade(root, out)                      # the whole course: another grading, not the kept one
    assert "1 graded" in whole.stdout
    refused = subprocess.run([CONVCOURSE, "grade-class", str(root), "--practice", "--assignment", "99_nothing"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "no notebook of the course has that number" in refused.stderr
