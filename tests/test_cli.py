"""`convcourse grade` as SPEC §5 states it: outputs, exit codes, every exercise listed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from autograder.exercises import registry
from autograder.grading.results import SCHEMA, SubmissionResult

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "submissions"


def run(*args):
    return subprocess.run([sys.executable, "-m", "autograder.cli", "grade", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_json_to_stdout_is_the_only_output_and_lists_every_exercise():
    proc = run(GOLDEN / "same-plus-one", "--json", "-", "--student", "zoe", "--no-perf")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["schema"] == SCHEMA and data["student"] == "zoe"
    assert [e["slug"] for e in data["exercises"]] == [e.slug for e in registry.EXERCISES]
    ex = {e["slug"]: e for e in data["exercises"]}["convolve_grayscale_same"]
    assert ex["status"] == "failed" and ex["diagnoses"][0] == "same-padding-plus-one" and ex["tier"] is None
    assert set(ex) >= {"score", "max_score", "correctness", "ratio", "rules", "message", "cases"}
    assert SubmissionResult.from_json(data).to_json() == data


def test_files_and_table(tmp_path):
    proc = run(ROOT / "solutions", "--json", tmp_path / "r.json", "--gradescope",
               tmp_path / "gs.json", "--junit", tmp_path / "j.xml", "--no-perf")
    assert proc.returncode == 0, proc.stderr
    assert "convolve_grayscale_valid" in proc.stdout and "passed" in proc.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["score"] == data["max_score"] > 0
    assert all(e["tier"] is None for e in data["exercises"])     # --no-perf
    gs = json.loads((tmp_path / "gs.json").read_text())
    assert gs["score"] == data["score"]
    cases_and_rules = sum(len(e["cases"]) + len(e["rules"]) for e in data["exercises"])
    summaries = sum(bool(e["cases"]) for e in data["exercises"])
    assert len(gs["tests"]) == cases_and_rules + summaries        # a summary, then a test per case and per rule
    assert {t["extra_data"]["exercise"] for t in gs["tests"]} == {e.slug for e in registry.EXERCISES}
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert root.tag == "testsuites" and root.get("failures") == "0"


def test_every_format_is_a_flag_of_both_commands(tmp_path):
    """formats.FORMATS is the one list: each format is `grade --NAME FILE`, and each one a class run does
    not always write is `grade-class --NAME` (the HTML page, new with the list, included)."""
    from autograder.formats import FORMATS

    proc = run(GOLDEN / "same-plus-one", "--exercise", "output_size", "--no-perf", "--practice",
               *[a for f in FORMATS for a in (f"--{f.name}", tmp_path / f.record)])
    assert proc.returncode == 0, proc.stderr
    assert all((tmp_path / f.record).read_text().strip() for f in FORMATS)
    assert "<html" in (tmp_path / "feedback.html").read_text().lower()
    helped = subprocess.run([sys.executable, "-m", "autograder.cli", "grade-class", "--help"], capture_output=True,
                            text=True, timeout=60).stdout
    assert all((f"--{f.name}" in helped) != f.every_record for f in FORMATS), helped


def test_exercise_filter_and_exit_codes(tmp_path):
    proc = run(GOLDEN / "same-plus-one", "--exercise", "convolve_grayscale_same", "--json", "-", "--no-perf")
    assert [e["slug"] for e in json.loads(proc.stdout)["exercises"]] == ["convolve_grayscale_same"]
    missing = run(tmp_path / "nope.py")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "no such file" in missing.stderr
    unknown = run(GOLDEN / "same-plus-one", "--exercise", "conv")
    assert unknown.returncode == 2 and "no exercise 'conv'" in unknown.stderr


def test_a_notebook_submission(tmp_path):
    code = (ROOT / "tests" / "submissions" / "correct-loops" / "submission.py").read_text()
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# My work"},
                    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": "%matplotlib inline\n" + code}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    p = tmp_path / "work.ipynb"
    p.write_text(json.dumps(nb))
    data = json.loads(run(p, "--json", "-", "--no-perf").stdout)
    status = {e["slug"]: e["status"] for e in data["exercises"]}
    assert status["convolve"] == "passed" and status["pool"] == "missing"


@pytest.mark.parametrize("secret", [None, "", "convcourse-practice"])
@pytest.mark.parametrize("command", ["grade", "grade-class"])
def test_grading_for_the_record_refuses_without_a_course_secret(tmp_path, secret, command):
    """A forgotten export must not make every student's hidden cases the public practice ones."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "CONVCOURSE_SECRET"}
    if secret is not None:
        env["CONVCOURSE_SECRET"] = secret
    target = GOLDEN / "correct-loops"
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", command, str(target), "--no-perf",
                           "--out" if command == "grade-class" else "--student", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "refusing to grade for the record" in proc.stderr and "--practice" in proc.stderr
    assert not (tmp_path / "out").exists()
    practice = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(target), "--no-perf",
                               "--practice", "--json", "-", "--exercise", "output_size"],
                              capture_output=True, text=True, timeout=300, env=env)
    assert practice.returncode == 0, practice.stderr
    assert json.loads(practice.stdout)["exercises"][0]["slug"] == "output_size"
