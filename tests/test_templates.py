"""The GitHub Actions templates: the student side (practice, no secret) and the instructor side (the whole
class for the record), their steps run here with bash as Actions would run them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from autograder.classroom.github import Fetched, RosterError, fetch_class, git_env, parse_deadline, read_roster

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates" / "github-actions"
STUDENT_WORKFLOW = TEMPLATES / "convcourse-grade.yml"
CLASS_WORKFLOW = TEMPLATES / "convcourse-grade-class.yml"
PRACTICE_NOTE = "practice grade: public cases only"

SECRET = "templates-test-course-secret"
ORG, PREFIX = "course-org", "conv-hw1"
BEFORE, DEADLINE, AFTER = "2025-01-10T12:00:00+00:00", "2025-01-15T23:59:00Z", "2025-01-20T12:00:00+00:00"

POOLING = (ROOT / "solutions" / "04_pooling.py").read_text()
# Wrong for about half of all inputs, so that which of its cases fail depends on the inputs the student's
# seed draws: two students handing this in fail different hidden cases.
HALF_WRONG = POOLING + '''
_pool = pool


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    out = _pool(images, kernel_shape, stride, mode, padding)
    return out + 1 if int(abs(images).sum() * 1000) % 2 else out
'''


def _workflow(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _steps(path: Path) -> list[dict]:
    (job,) = _workflow(path)["jobs"].values()
    return job["steps"]


def _step(path: Path, name: str) -> dict:
    return next(s for s in _steps(path) if s.get("name") == name)


def _actions_env(**values: str) -> dict:
    """The environment a step's script gets: the runner's (the course secret removed, as Actions would not
    have it unless the step's env gives it) plus the step's env values, with this checkout's convcourse."""
    env = {k: v for k, v in os.environ.items() if k not in ("CONVCOURSE_SECRET", "CONVCOURSE_CHECKOUT_TOKEN")}
    env.update(values, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    return env


def _run_step(step: dict, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    for key in step.get("env", {}):
        assert key in env, f"the step {step['name']!r} uses {key}, which the test does not provide"
    # `shell: bash` in the workflows: Actions runs the script with -e -o pipefail
    return subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


# -- the student side ---------------------------------------------------------------------------------------

def test_the_student_workflow_has_no_secret():
    text = STUDENT_WORKFLOW.read_text()
    assert "secrets." not in text and "CONVCOURSE_SECRET" not in text
    grade = _step(STUDENT_WORKFLOW, "Grade (practice)")
    assert grade["env"]["STUDENT"] == "${{ github.actor }}" and "--practice" in grade["run"]
    assert _workflow(STUDENT_WORKFLOW)["jobs"]["grade"]["defaults"]["run"]["shell"] == "bash"


def test_the_student_workflow_publishes_json_and_junit():
    steps = _steps(STUDENT_WORKFLOW)
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert uploads and uploads[0]["with"]["path"] == "convcourse-results/" and uploads[0]["if"] == "always()"
    junit = [s for s in steps if "junit" in str(s.get("uses", ""))]
    assert junit and junit[0]["with"]["report_paths"] == "convcourse-results/junit.xml"
    assert "head.repo.full_name == github.repository" in junit[0]["if"]   # a fork's read-only token cannot


def test_the_student_grading_step_runs_without_any_secret(tmp_path):
    """The practice step in a student's checkout, with no course secret anywhere in its environment."""
    shutil.copy(ROOT / "solutions" / "04_pooling.py", tmp_path / "pooling.py")
    summary = tmp_path / "summary.md"
    env = _actions_env(STUDENT="octocat", SUBMISSION=".", CONVCOURSE_GRADE_OPTIONS="--no-perf",
                       GITHUB_STEP_SUMMARY=str(summary))
    assert not any("SECRET" in k for k in env)
    done = _run_step(_step(STUDENT_WORKFLOW, "Grade (practice)"), tmp_path, env)
    assert done.returncode == 0, done.stderr          # grading for the record would have refused (exit 2)
    results = json.loads((tmp_path / "convcourse-results" / "results.json").read_text())
    assert results["student"] == "octocat" and results["schema"].startswith("convcourse.results/")
    by_slug = {e["slug"]: e for e in results["exercises"]}
    assert by_slug["pool"]["status"] == "passed" and by_slug["convolve"]["status"] == "missing"
    suite = ET.parse(tmp_path / "convcourse-results" / "junit.xml").getroot()
    assert suite.tag == "testsuites" and int(suite.get("failures")) > 0      # the missing exercises fail
    text = summary.read_text()
    assert text.startswith(f"## convcourse practice grade of octocat: {results['score']:g} / {results['max_score']:g}")
    assert "practice grade: public cases only; your grade for the record is computed by the course staff" in text
    assert "| pool | passed |" in text
    assert "pool" in (tmp_path / "convcourse-results" / "table.txt").read_text()


# -- the instructor side ------------------------------------------------------------------------------------

def test_the_class_workflow_keeps_each_secret_to_its_step():
    wf = _workflow(CLASS_WORKFLOW)
    on = wf[True] if True in wf else wf["on"]            # YAML 1.1 reads the key `on` as true
    assert on["schedule"][0]["cron"] and set(on["workflow_dispatch"]["inputs"]) == {"prefix", "notebook", "deadline", "ref"}
    assert wf["permissions"] == {"contents": "read"}
    using = {s["name"]: s for s in _steps(CLASS_WORKFLOW) if "name" in s}
    holders = {name for name, s in using.items() if "secrets." in json.dumps(s)}
    assert holders == {"Fetch the students' repositories", "Grade the class"}
    # the step that runs student code has the course secret and not the token, the other the reverse
    assert "CONVCOURSE_CHECKOUT_TOKEN" not in json.dumps(using["Grade the class"])
    assert "CONVCOURSE_SECRET" not in json.dumps(using["Fetch the students' repositories"])
    checkout = next(s for s in _steps(CLASS_WORKFLOW) if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["persist-credentials"] is False
    upload = using["Upload the records"]
    assert upload["if"] == "always()" and "grades/" in upload["with"]["path"].split()


def _git(*args: str, cwd: Path, date: str | None = None) -> str:
    """git as a student would run it, in an environment of its own: nothing inherited but ``PATH`` (a CI
    runner's ``GIT_*`` variables or HOME must not reach the repositories these tests build), and git's own
    words in the failure (a bare ``exit status 128`` says nothing)."""
    # an empty config file of its own, not /dev/null: a CI run found its /dev/null holding text ("bad
    # config line 1 in file /dev/null"); tests/conftest.py now names a test after which it is not a device
    config = cwd.parent / ".gitconfig-empty"
    if not config.exists():
        config.write_text("")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8",
           "GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "student",
           "GIT_AUTHOR_EMAIL": "student@example.org", "GIT_COMMITTER_NAME": "student",
           "GIT_COMMITTER_EMAIL": "student@example.org"}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise AssertionError(f"git {' '.join(args)} (in {cwd}) exited with status {done.returncode}: "
                             f"{done.stderr.strip() or done.stdout.strip() or 'no output'}")
    return done.stdout.strip()


def _student_repo(remote: Path, login: str, commits: list[tuple[str, str]]) -> list[str]:
    """``remote/<org>/<prefix>-<login>``, a bare repository whose commits hand in each (date, pooling.py)."""
    work = remote / "work" / login
    work.mkdir(parents=True)
    _git("init", "-q", "-b", "main", cwd=work)
    shas = []
    for date, code in commits:
        (work / "README.md").write_text(f"{login}'s assignment\n")
        (work / "pooling.py").write_text(code)
        _git("add", "-A", cwd=work)
        _git("commit", "-q", "-m", f"hand in ({date})", cwd=work, date=date)
        shas.append(_git("rev-parse", "HEAD", cwd=work))
    (remote / ORG).mkdir(exist_ok=True)
    _git("clone", "-q", "--bare", str(work), str(remote / ORG / f"{PREFIX}-{login}"), cwd=remote)
    return shas


def _fetch(workspace: Path, remote: Path, deadline: str, ref: str = "") -> subprocess.CompletedProcess:
    """The fetch step in a fresh checkout of the instructor repository (the roster at its root)."""
    workspace.mkdir()
    shutil.copy(remote / "classroom_roster.csv", workspace / "classroom_roster.csv")
    env = _actions_env(CONVCOURSE_CHECKOUT_TOKEN="github_pat_not_used_by_file_urls",
                       CONVCOURSE_CLONE_BASE=remote.as_uri(), ORG=ORG, PREFIX=PREFIX, DEADLINE=deadline, REF=ref,
                       ROSTER="classroom_roster.csv", GITHUB_STEP_SUMMARY=str(workspace / "summary.md"))
    return _run_step(_step(CLASS_WORKFLOW, "Fetch the students' repositories"), workspace, env)


def _grade(workspace: Path, secret: str) -> subprocess.CompletedProcess:
    env = _actions_env(CONVCOURSE_SECRET=secret, CONVCOURSE_GRADE_OPTIONS="--no-perf --workers 2",
                       NOTEBOOK="04_pooling", GITHUB_STEP_SUMMARY=str(workspace / "summary.md"))
    return _run_step(_step(CLASS_WORKFLOW, "Grade the class"), workspace, env)


def _record(workspace: Path, login: str) -> dict:
    return json.loads((workspace / "grades" / login / "results.json").read_text())


def _hidden(record: dict, slug: str = "pool") -> list[bool]:
    (exercise,) = [e for e in record["exercises"] if e["slug"] == slug]
    return [c["passed"] for c in exercise["cases"] if c["hidden"]]


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """A Classroom of four: alice (correct), bob (half wrong by the deadline, correct after it), carol (half
    wrong), dave (no repository), and a roster entry not yet linked to a GitHub account. Fetched at the
    deadline and graded for the record."""
    remote = tmp_path_factory.mktemp("remote")
    shas = {"alice": _student_repo(remote, "alice", [(BEFORE, POOLING)]),
            "bob": _student_repo(remote, "bob", [(BEFORE, HALF_WRONG), (AFTER, POOLING)]),
            "carol": _student_repo(remote, "carol", [(BEFORE, HALF_WRONG)])}
    (remote / "classroom_roster.csv").write_text(
        '"identifier","github_username","github_id","name"\n'
        '"alice@uni.example","alice","101","Alice A"\n"bob@uni.example","bob","102","Bob B"\n'
        '"carol@uni.example","carol","103","Carol C"\n"dave@uni.example","dave","104","Dave D"\n'
        '"erin@uni.example","","","Erin E"\n')
    workspace = tmp_path_factory.mktemp("instructor") / "at-deadline"
    fetched = _fetch(workspace, remote, DEADLINE)
    graded = _grade(workspace, SECRET)
    return {"remote": remote, "shas": shas, "workspace": workspace, "fetched": fetched, "graded": graded}


def test_the_fetch_step_takes_the_last_commit_before_the_deadline(classroom):
    done, workspace, shas = classroom["fetched"], classroom["workspace"], classroom["shas"]
    assert done.returncode == 0, done.stderr
    manifest = {s["login"]: s for s in json.loads((workspace / "fetch.json").read_text())["students"]}
    assert {k: v["status"] for k, v in manifest.items()} == {
        "alice": "fetched", "bob": "fetched", "carol": "fetched", "dave": "missing", "erin@uni.example": "not linked"}
    assert manifest["bob"]["commit"] == shas["bob"][0] != shas["bob"][1]      # the commit after the deadline is not taken
    assert sorted(p.name for p in (workspace / "class").iterdir()) == ["alice", "bob", "carol"]
    assert (workspace / "class" / "alice" / "pooling.py").read_text() == POOLING
    assert not (workspace / "class" / "alice" / ".git").exists()
    summary = (workspace / "summary.md").read_text()
    assert "3 of 5 repositories of `conv-hw1` fetched at the last commit before 2025-01-15T23:59:00+00:00" in summary
    assert f"| dave | {classroom['remote'].as_uri()}/{ORG}/{PREFIX}-dave | missing:" in summary
    assert "| erin@uni.example | - | not linked:" in summary


def test_the_grade_step_grades_each_student_with_their_own_hidden_cases(classroom):
    done, workspace = classroom["graded"], classroom["workspace"]
    assert done.returncode == 0, done.stderr
    assert "::warning::" not in done.stdout
    records = {login: _record(workspace, login) for login in ("alice", "bob", "carol")}
    assert {login: r["student"] for login, r in records.items()} == {"alice": "alice", "bob": "bob", "carol": "carol"}
    assert all(_hidden(records["alice"]))
    # the same code, two students: their seeds draw different hidden inputs, so different cases fail
    assert _hidden(records["bob"]) != _hidden(records["carol"])
    assert records["bob"]["score"] < records["alice"]["score"]
    summary = (workspace / "summary.md").read_text()
    assert "## convcourse grade-class: `conv-hw1`, 3 of 5 students graded" in summary
    assert PRACTICE_NOTE not in summary
    alice = records["alice"]
    # graded on the assignment's notebook (the workflow's notebook input), not on the whole course
    assert {e["slug"] for e in alice["exercises"]} == {"pool", "global_average_pool"}
    assert alice["score"] == alice["max_score"]
    assert "convcourse 04_pooling" in (workspace / "grades" / "canvas.csv").read_text().splitlines()[0]
    assert f"| alice | `{classroom['shas']['alice'][0][:12]}` {BEFORE} | {round(alice['score'], 2):g} / {alice['max_score']:g} |  |" in summary
    assert "| dave | - | - | missing:" in summary


def test_without_a_deadline_the_latest_commit_is_graded(classroom, tmp_path):
    workspace = tmp_path / "latest"
    done = _fetch(workspace, classroom["remote"], deadline="", ref="main")
    assert done.returncode == 0, done.stderr
    manifest = {s["login"]: s for s in json.loads((workspace / "fetch.json").read_text())["students"]}
    assert manifest["bob"]["commit"] == classroom["shas"]["bob"][1]
    done = _grade(workspace, SECRET)
    assert done.returncode == 0, done.stderr
    # bob's commit after the deadline fixed his pooling: graded at the deadline, it does not count
    assert _record(workspace, "bob")["score"] == _record(workspace, "alice")["score"]
    assert _record(classroom["workspace"], "bob")["score"] < _record(workspace, "bob")["score"]


def test_without_the_secret_the_grade_step_grades_practice_cases_and_says_so(classroom, tmp_path):
    """A run the secret is withheld from (a pull request from a fork, or a secret never set)."""
    workspace = tmp_path / "fork"
    workspace.mkdir()
    shutil.copytree(classroom["workspace"] / "class", workspace / "class")
    shutil.copy(classroom["workspace"] / "fetch.json", workspace / "fetch.json")
    done = _grade(workspace, secret="")
    assert done.returncode == 0, done.stderr
    assert "::warning::CONVCOURSE_SECRET is not available to this run: practice grade, public cases only" in done.stdout
    summary = (workspace / "summary.md").read_text()
    assert f"**{PRACTICE_NOTE}.**" in summary and "not grades for the record" in summary
    assert _record(workspace, "bob")["student"] == "bob"
    assert _hidden(_record(workspace, "bob")) != _hidden(_record(classroom["workspace"], "bob"))   # other seeds


def test_a_class_with_no_repository_at_all_fails_the_fetch(tmp_path):
    remote = tmp_path / "remote"
    remote.mkdir()
    (remote / "classroom_roster.csv").write_text("# one login a line\nnobody\n")
    done = _fetch(tmp_path / "ws", remote, deadline="")
    assert done.returncode == 1 and "no repository could be fetched" in done.stderr
    assert "| nobody |" in (tmp_path / "ws" / "summary.md").read_text()


def test_a_typo_in_the_deadline_is_refused(tmp_path):
    remote = tmp_path / "remote"
    remote.mkdir()
    (remote / "classroom_roster.csv").write_text("alice\n")
    done = _fetch(tmp_path / "ws", remote, deadline="next friday")
    assert done.returncode == 2 and "not an ISO 8601 time" in done.stderr


# -- the pieces of fetch-class ------------------------------------------------------------------------------

def test_read_roster_reads_plain_lists_and_classroom_exports(tmp_path):
    plain = tmp_path / "logins.txt"
    plain.write_text("# students\n@alice\nbob  # late enrolment\n\nAlice\n../etc\n")
    assert read_roster(plain) == (["alice", "bob"], [Fetched("../etc", status="invalid login",
                                                             detail="not a GitHub login")])
    export = tmp_path / "classroom_roster.csv"
    export.write_text('\ufeff"identifier","github_username","github_id","name"\n"12345","carol","7","C"\n'
                      '"67890","","",""\n', encoding="utf-8")
    logins, problems = read_roster(export)
    assert logins == ["carol"] and [(p.login, p.status) for p in problems] == [("67890", "not linked")]
    (tmp_path / "empty.txt").write_text("# nobody yet\n")
    with pytest.raises(RosterError):
        read_roster(tmp_path / "empty.txt")


def test_a_link_out_of_the_repository_is_left_out(tmp_path):
    remote = tmp_path / "remote"
    work = remote / "work" / "mallory"
    _student_repo(remote, "mallory", [(BEFORE, POOLING)])
    (work / "secret.py").symlink_to("/etc/passwd")
    (work / "inside.py").symlink_to("pooling.py")
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", "links", cwd=work, date=AFTER)
    _git("push", "-q", str(remote / ORG / f"{PREFIX}-mallory"), "main", cwd=work)
    (roster := tmp_path / "roster.txt").write_text("mallory\n")
    (got,) = fetch_class(roster, ORG, PREFIX, tmp_path / "class", base=remote.as_uri(), progress=lambda line: None)
    assert got.status == "fetched" and got.detail.endswith(": secret.py")
    mallory = tmp_path / "class" / "mallory"
    assert not (mallory / "secret.py").exists() and (mallory / "inside.py").read_text() == POOLING


def test_parse_deadline():
    assert parse_deadline("") is None
    assert parse_deadline("2025-03-01T23:59:00Z").isoformat() == "2025-03-01T23:59:00+00:00"
    assert parse_deadline("2025-03-01 23:59").isoformat() == "2025-03-01T23:59:00+00:00"
    assert parse_deadline("2025-03-01T23:59:00+01:00").utcoffset().total_seconds() == 3600
    with pytest.raises(ValueError):
        parse_deadline("tomorrow")


def test_the_token_is_a_header_for_the_clone_base_only():
    env = git_env("https://github.com", "github_pat_XYZ", environ={})
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    assert env["GIT_CONFIG_VALUE_0"].startswith("AUTHORIZATION: basic ") and "github_pat_XYZ" not in env["GIT_CONFIG_VALUE_0"]
    assert "GIT_CONFIG_COUNT" not in git_env("file:///srv/git", "github_pat_XYZ", environ={})


# -- lint ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("workflow", [STUDENT_WORKFLOW, CLASS_WORKFLOW], ids=lambda p: p.name)
def test_the_workflows_validate_against_githubs_schema(workflow):
    """check-jsonschema's vendored copy of the workflow schema: no network needed."""
    pytest.importorskip("check_jsonschema", reason="pip install -e '.[dev]'")
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(workflow)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
