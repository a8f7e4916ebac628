"""The CI template for student repositories: its grading step, run here as GitHub Actions would run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "templates" / "github-actions" / "convcourse-grade.yml"


def _step(name: str) -> dict:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["grade"]["steps"]
    return next(s for s in steps if s.get("name") == name)


def test_the_workflow_publishes_json_and_junit():
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["grade"]["steps"]
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert uploads and uploads[0]["with"]["path"] == "convcourse-results/" and uploads[0]["if"] == "always()"
    junit = [s for s in steps if "junit" in str(s.get("uses", ""))]
    assert junit and junit[0]["with"]["report_paths"] == "convcourse-results/junit.xml"


def test_the_grading_step_runs_locally(tmp_path):
    """Run the step's shell script with the values Actions would give it, in a student's checkout."""
    shutil.copy(ROOT / "solutions" / "04_pooling.py", tmp_path / "pooling.py")
    step = _step("Grade")
    summary = tmp_path / "summary.md"
    env = dict(os.environ, CONVCOURSE_SECRET="ci-secret", STUDENT="octocat", SUBMISSION=".",
               GITHUB_STEP_SUMMARY=str(summary),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    for key in step["env"]:
        assert key in env
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "convcourse-results" / "results.json").read_text())
    assert results["student"] == "octocat" and results["schema"] == "convcourse.results/1"
    by_slug = {e["slug"]: e for e in results["exercises"]}
    assert by_slug["pool"]["status"] == "passed" and by_slug["convolve"]["status"] == "missing"
    suite = ET.parse(tmp_path / "convcourse-results" / "junit.xml").getroot()
    assert suite.tag == "testsuites" and int(suite.get("failures")) > 0      # the missing exercises fail
    text = summary.read_text()
    assert text.startswith(f"## convcourse: {results['score']:g} / {results['max_score']:g}")
    assert "| pool | passed |" in text
    assert "pool" in (tmp_path / "convcourse-results" / "table.txt").read_text()
