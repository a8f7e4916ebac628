"""Gradescope: the bundle ``convcourse gradescope-bundle`` writes, and its ``run_autograder`` run in a
temporary root laid out as Gradescope lays out ``/autograder`` (``CONVCOURSE_GRADESCOPE_ROOT``), with this
virtualenv's convcourse in place of the one ``setup.sh`` would install; results.json checked field by
field against Gradescope's documented format (gradescope/autograder_samples, docs/specs.md)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.exercises import registry
from tests.formats.test_gradescope import check_format

ROOT = Path(__file__).resolve().parents[2]
CONVCOURSE = str(Path(sys.executable).parent / "convcourse")
SECRET = "gradescope-test-secret-5521"

def _bundle(tmp_path: Path, *args: str, secret: str | None = SECRET) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CONVCOURSE_SECRET"}
    if secret is not None:
        env["CONVCOURSE_SECRET"] = secret
    return subprocess.run([CONVCOURSE, "gradescope-bundle", "--out", str(tmp_path / "autograder.zip"), *args],
                          capture_output=True, text=True, timeout=600, env=env)


def _gradescope_root(tmp_path: Path, files: dict[str, str], user_id=4242) -> Path:
    """/autograder as Gradescope lays it out: source/ (the bundle), submission/, the metadata, results/."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(tmp_path / "autograder.zip") as z:
        z.extractall(root / "source")
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    (root / "results").mkdir()
    (root / "submission_metadata.json").write_text(json.dumps({
        "id": 123456, "created_at": "2026-11-30T14:22:32.365935-07:00",
        "assignment": {"due_date": "2026-12-31T23:00:00.000000-07:00", "id": 25828, "title": "Pooling",
                       "total_points": "12.0"},
        "submission_method": "upload",
        "users": [{"email": "student@example.com", "id": user_id, "name": "Student User"}],
        "previous_submissions": []}))
    return root


def _run_autograder(root: Path, command: str = CONVCOURSE) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if k != "CONVCOURSE_SECRET"}   # the secret comes from the bundle
    env.update(CONVCOURSE_GRADESCOPE_ROOT=str(root), CONVCOURSE_GRADESCOPE_COMMAND=command)
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          timeout=600, env=env, cwd=root)
    return done, json.loads((root / "results" / "results.json").read_text())


@pytest.fixture(scope="module")
def pooling(tmp_path_factory):
    """A bundle of notebook 4 (a wheel of this checkout inside), and a correct pool with a wrong
    global_average_pool graded by its run_autograder."""
    tmp = tmp_path_factory.mktemp("gradescope")
    made = _bundle(tmp, "--assignment", "04_pooling")
    assert made.returncode == 0, made.stderr
    wrong_gap = ("\n\ndef global_average_pool(images):\n    out = images.mean(axis=(1, 2))\n"
                 "    images[...] = 0   # the input-mutated misconception\n    return out\n")
    root = _gradescope_root(tmp, {"pooling.py": (ROOT / "solutions" / "04_pooling.py").read_text()
                                  .split("def global_average_pool")[0] + wrong_gap})
    done, results = _run_autograder(root)
    assert done.returncode == 0, done.stderr[-2000:]
    return tmp, root, done, results


def test_the_bundle_holds_what_gradescope_expects_at_its_root(pooling):
    tmp, _, _, _ = pooling
    with zipfile.ZipFile(tmp / "autograder.zip") as z:
        names = set(z.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
        config = json.loads(z.read("convcourse.json"))
        assert z.read("convcourse_secret").decode() == SECRET
        package = z.read("package.txt").decode()
    assert {"setup.sh", "run_autograder", "convcourse.json", "convcourse_secret", "package.txt"} <= names
    assert package.startswith("wheel:") and package.removeprefix("wheel:") in names    # the grader itself
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert modes["convcourse_secret"] == 0o600
    assert config["exercises"] == ["pool", "global_average_pool"] and config["practice"] is False
    assert config["perf"] is True
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(pooling[1] / "source" / script)]).returncode == 0


def test_results_follow_gradescopes_format_with_one_test_per_case_rule_and_tier(pooling):
    _, root, done, results = pooling
    check_format(results)
    assert results["stdout_visibility"] == "hidden" and results["execution_time"] >= 0
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]), abs=1e-4)
    assert results["extra_data"]["student"] == "gradescope-4242"                      # users[0].id
    pool = [t for t in results["tests"] if t["name"].startswith("pool ·")]
    cases = [t for t in pool if "case" in t["extra_data"]]
    hidden = [t for t in cases if t["extra_data"]["hidden"]]
    assert all(" · hidden-" in t["name"] for t in hidden) and len(cases) > len(hidden) > 0
    assert hidden and all(t["visibility"] == "after_due_date" for t in hidden)
    assert all(t["visibility"] == "visible" for t in cases if t not in hidden)
    exercise = registry.get("pool")
    assert sum(t["max_score"] for t in cases) == pytest.approx(exercise.points.correctness, abs=1e-4)
    rules = [t for t in pool if " · rule " in t["name"]]
    assert {t["name"].split(" · rule ")[1] for t in rules} == set(exercise.rule_points)
    (speed,) = [t for t in pool if "speed (extra credit" in t["name"]]
    assert speed["max_score"] == 0 and speed["score"] > 0 and speed["extra_data"]["tier"]     # extra credit
    assert results["score"] > sum(t["max_score"] for t in results["tests"]) - registry.get(
        "global_average_pool").max_score   # pool's tier is on top of its maximum
    board = {e["name"]: e for e in results["leaderboard"]}
    assert board["pool speed vs reference"]["order"] == "asc" and board["pool speed vs reference"]["value"] > 0
    assert board["total score"]["value"] == pytest.approx(results["score"], abs=1e-3)
    # the wrong global_average_pool: failed tests, its diagnosis as the tag
    gap = [t for t in results["tests"] if t["name"].startswith("global_average_pool ·")]
    assert any(t["status"] == "failed" for t in gap)
    assert any(t["tags"] for t in gap), gap[:2]
    assert "Not passed yet: global_average_pool" in results["output"]


def test_the_secret_reaches_neither_results_nor_logs_and_hidden_inputs_stay_hidden(pooling):
    _, root, done, results = pooling
    text = (root / "results" / "results.json").read_text()
    assert SECRET not in text and SECRET not in done.stdout + done.stderr
    assert "isolation:" in done.stdout            # which layers held, for the instructors' eyes only
    for test in results["tests"]:
        if test["visibility"] == "after_due_date" and test["status"] == "failed":
            assert "on a hidden case" in test["output"] and "array(" not in test["output"]


def test_a_regrade_gives_the_same_hidden_cases_and_another_student_other_ones(pooling, tmp_path):
    tmp, root, _, first = pooling
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(tmp / "autograder.zip", again / "autograder.zip")
    files = {p.name: p.read_text() for p in (root / "submission").iterdir()}
    _, same = _run_autograder(_gradescope_root(again, files))
    other_root = tmp_path / "other"
    other_root.mkdir()
    shutil.copy(tmp / "autograder.zip", other_root / "autograder.zip")
    _, other = _run_autograder(_gradescope_root(other_root, files, user_id=777))

    def hidden(results):
        return [(t["extra_data"]["case"], t["status"]) for t in results["tests"] if t["visibility"] == "after_due_date"]

    assert hidden(same) == hidden(first)
    assert other["extra_data"]["student"] == "gradescope-777"


def test_without_the_secret_the_bundle_is_refused_unless_practice(tmp_path):
    refused = _bundle(tmp_path, "--exercise", "pool", secret=None)
    assert refused.returncode == 2 and "refusing to bundle for the record" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "autograder.zip").exists()
    assert len(refused.stderr.strip().splitlines()) == 1
    wrong = _bundle(tmp_path, "--exercise", "no_such_thing")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    practice = _bundle(tmp_path, "--exercise", "pool", "--practice", "--package", str(ROOT), secret=None)
    assert practice.returncode == 0, practice.stderr
    with zipfile.ZipFile(tmp_path / "autograder.zip") as z:
        assert "convcourse_secret" not in z.namelist() and json.loads(z.read("convcourse.json"))["practice"]
        assert z.read("package.txt").decode() == str(ROOT)


def test_an_empty_or_broken_submission_still_gets_a_valid_results_json(tmp_path):
    assert _bundle(tmp_path, "--exercise", "pool", "--package", str(ROOT), "--no-perf").returncode == 0
    root = _gradescope_root(tmp_path, {})
    done, results = _run_autograder(root)
    assert done.returncode == 0
    check_format(results)
    assert results["score"] == 0 and "the folder holds no .py or .ipynb file" in results["output"]
    (root / "submission_metadata.json").write_text("{not json")
    done, broken = _run_autograder(root)
    assert done.returncode == 0 and broken["score"] == 0 and "no student id" in broken["output"]
    check_format(broken)


THIEF = r'''
import glob, os


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    found = []
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.path.join(here, "..", "source", "convcourse_secret"), "/autograder/source/convcourse_secret"]
    candidates += glob.glob("/tmp/**/source/convcourse_secret", recursive=True)
    for path in candidates:
        try:
            with open(path) as fh:
                found.append(fh.read())
        except OSError as exc:
            found.append(type(exc).__name__)
    found += [f"{k}={v}" for k, v in os.environ.items()]
    raise ValueError(" ".join(found))
'''


@pytest.mark.parametrize("sandbox", ["bubblewrap", "no namespaces"])
def test_student_code_cannot_read_the_bundles_secret(tmp_path, sandbox):
    """Gradescope's container may refuse bubblewrap's namespaces: without them the child still runs as
    an unprivileged user, and the secret file is root's alone. (Without bwrap on the PATH the grader
    takes that fallback, as it would there.)"""
    assert _bundle(tmp_path, "--exercise", "pool", "--package", str(ROOT)).returncode == 0
    root = _gradescope_root(tmp_path, {"pooling.py": THIEF})
    env = {k: v for k, v in os.environ.items() if k != "CONVCOURSE_SECRET"}
    env.update(CONVCOURSE_GRADESCOPE_ROOT=str(root), CONVCOURSE_GRADESCOPE_COMMAND=CONVCOURSE)
    if sandbox == "no namespaces":
        env["PATH"] = str(tmp_path / "no-tools")          # no bwrap to find: the fallback sandbox
    done = subprocess.run(["/bin/bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          timeout=600, env=env, cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    text = (root / "results" / "results.json").read_text()
    results = json.loads(text)
    isolation = results["extra_data"]["isolation"]
    assert isolation["sandbox"] == ("bubblewrap" if sandbox == "bubblewrap" else "fallback"), isolation
    assert isolation["layers"]["user"]                        # never the grader's own uid
    assert SECRET not in text and SECRET not in done.stdout + done.stderr
    assert any(t["status"] == "failed" for t in results["tests"])


def test_without_perf_a_correct_submission_earns_its_maximum_and_no_tier(tmp_path):
    made = _bundle(tmp_path, "--assignment", "04_pooling", "--package", str(ROOT), "--no-perf")
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(tmp_path / "autograder.zip") as z:
        assert json.loads(z.read("convcourse.json"))["perf"] is False
    root = _gradescope_root(tmp_path, {"pooling.py": (ROOT / "solutions" / "04_pooling.py").read_text()},
                            user_id=9001)
    done, results = _run_autograder(root)
    assert done.returncode == 0, done.stderr[-2000:]
    check_format(results)
    base = registry.get("pool").max_score + registry.get("global_average_pool").max_score
    assert results["score"] == pytest.approx(base) and "Every exercise passes." in results["output"]
    assert not [t for t in results["tests"] if "speed" in t["name"]]
    assert results["leaderboard"] == [{"name": "total score", "value": results["score"], "order": "desc"}]
    assert results["extra_data"]["student"] == "gradescope-9001"
    assert all(t["status"] == "passed" for t in results["tests"])
    assert SECRET not in json.dumps(results) and SECRET not in done.stdout + done.stderr


def test_run_autograder_writes_a_zero_result_even_when_the_grader_cannot_start(tmp_path):
    assert _bundle(tmp_path, "--exercise", "pool", "--package", str(ROOT), "--no-perf").returncode == 0
    root = _gradescope_root(tmp_path, {"pooling.py": "def pool(*a):\n    return 0\n"})
    (root / "results" / "results.json").write_text('{"score": 99}')   # a stale one must not survive
    done, results = _run_autograder(root, command=str(tmp_path / "not-installed" / "convcourse"))
    assert done.returncode == 0
    check_format(results)
    assert results["score"] == 0 and results["tests"] == []
    assert "the grader stopped before it wrote a result (exit status 127)" in results["output"]


def _stub(path: Path, text: str) -> None:
    path.write_text("#!/bin/bash\n" + text)
    path.chmod(0o755)


@pytest.mark.parametrize("has_bwrap", [True, False])
def test_setup_sh_installs_only_what_is_missing_then_the_bundles_wheel_and_warms_numba(pooling, tmp_path, has_bwrap):
    """setup.sh with apt-get, Python and pip stubbed (each logs its command line): the real ones would
    need the network and root's apt. A Python 3.11+ with venv is found on the PATH; bubblewrap is
    installed only when missing."""
    bundle_dir = pooling[0]
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle_dir / "autograder.zip") as z:
        z.extractall(root / "source")
        wheel = z.read("package.txt").decode().removeprefix("wheel:")
    stubs, tools, log = tmp_path / "stubs", tmp_path / "tools", tmp_path / "log"
    stubs.mkdir()
    tools.mkdir()
    for tool in ("dirname", "cat", "chmod", "mkdir", "cp"):
        (tools / tool).symlink_to(shutil.which(tool))
    _stub(stubs / "apt-get", 'echo "apt-get $*" >>"$LOG"\n')
    if has_bwrap:
        _stub(stubs / "bwrap", "exit 0\n")
    _stub(stubs / "venv-python", 'echo "venv-python $*" >>"$LOG"\n')
    _stub(stubs / "venv-convcourse", 'echo "venv-convcourse $*" >>"$LOG"\n')
    _stub(stubs / "python3.13", 'echo "python $1" >>"$LOG"\n'
                                'if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin"; '
                                'cp "$STUBS/venv-python" "$3/bin/python"; cp "$STUBS/venv-convcourse" "$3/bin/convcourse"; '
                                'echo "venv $3" >>"$LOG"; fi\n')
    env = {"PATH": f"{stubs}:{tools}", "LOG": str(log), "STUBS": str(stubs), "CONVCOURSE_GRADESCOPE_ROOT": str(root)}
    assert subprocess.run(["/bin/bash", "-n", str(root / "source" / "setup.sh")]).returncode == 0
    done = subprocess.run(["/bin/bash", str(root / "source" / "setup.sh")], capture_output=True, text=True,
                          timeout=60, env=env, cwd=root)
    assert done.returncode == 0, done.stderr
    lines = log.read_text().splitlines()
    apt = [line for line in lines if line.startswith("apt-get")]
    assert apt == ([] if has_bwrap else ["apt-get update -qq", "apt-get install -y -qq bubblewrap"])
    assert [line for line in lines if not line.startswith(("apt-get", "python -"))] == [
        f"venv {root}/venv",
        "venv-python -m pip install --quiet --upgrade pip",
        f"venv-python -m pip install --quiet {root}/source/{wheel}",
        "venv-convcourse warmup --quiet"]
    assert stat.S_IMODE((root / "source" / "convcourse_secret").stat().st_mode) == 0o600
