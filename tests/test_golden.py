"""The golden suite: every sample submission in tests/submissions/ gets exactly the verdicts its
expected.json states, and every exercise it does not mention is reported missing."""

from __future__ import annotations

import json
import os
import re
import time
import warnings
from pathlib import Path

import pytest

from autograder.exercises import registry
from autograder.grading.grade import grade_path
from autograder.sandbox.limits import SUBMISSION_SECONDS
from tests.leftovers import still_running

HERE = Path(__file__).parent / "submissions"
CASES = sorted(p.name for p in HERE.iterdir() if (p / "expected.json").exists())


#: Per-call time limit for the golden suite: the cases are tiny, so 3 s is far beyond any honest call and
#: keeps the hanging attacks cheap.
TIMEOUT = 3.0
DURATIONS: dict[str, float] = {}


#: The course secret while the suite runs: attack-snoop looks for it everywhere it can.
SECRET = "golden-secret-4242"


@pytest.fixture(scope="module")
def graded():
    out = {}
    before = os.environ.get("CONVCOURSE_SECRET")
    os.environ["CONVCOURSE_SECRET"] = SECRET
    try:
        for name in CASES:
            start = time.monotonic()
            budget = json.loads((HERE / name / "expected.json").read_text()).get("budget", SUBMISSION_SECONDS)
            out[name] = grade_path(HERE / name, student="golden", timeout=TIMEOUT, budget=budget)
            DURATIONS[name] = time.monotonic() - start
    finally:
        if before is None:
            os.environ.pop("CONVCOURSE_SECRET")
        else:
            os.environ["CONVCOURSE_SECRET"] = before
    return out


@pytest.mark.parametrize("name", CASES)
def test_verdicts(graded, name):
    expected = json.loads((HERE / name / "expected.json").read_text())["exercises"]
    result = {e.slug: e for e in graded[name].exercises}
    assert list(result) == [e.slug for e in registry.EXERCISES]   # every exercise appears
    for slug, exercise in result.items():
        want = expected.get(slug, {"status": "missing"})
        assert exercise.status == want["status"], (slug, exercise.status, exercise.message)
        for d in want.get("diagnoses", []):
            assert d in exercise.diagnoses, (slug, exercise.diagnoses, exercise.message)
        if "stage" in want:
            failing = [c for c in exercise.cases if not c.passed]
            assert failing and failing[0].stage == want["stage"], (slug, [(c.stage, c.message) for c in failing[:2]])
        if "message" in want:
            assert want["message"] in exercise.message, exercise.message
        if "rules_failed" in want:
            assert sorted(r.id for r in exercise.rules if not r.passed) == sorted(want["rules_failed"]), exercise.rules
            assert all(r.line for r in exercise.rules if not r.passed)
        if "needs" in want:
            needing = [c for c in exercise.cases if f"needs the `{want['needs']}` parameter" in c.message]
            assert needing and all(not c.passed for c in needing)
            assert all(c.passed for c in exercise.cases if c not in needing), exercise.message
        if "passed" in want:
            assert exercise.passed == want["passed"], (exercise.passed, exercise.total)
        if "borrowed" in want:
            assert bool(exercise.borrowed) == want["borrowed"], (slug, exercise.borrowed, exercise.message)
            assert not want["borrowed"] or exercise.message.startswith("Borrowed answer, no points"), exercise.message
        if "score" in want:
            assert exercise.score == want["score"], (slug, exercise.score, exercise.message)
        if want.get("passed_all_cases"):   # right answers, and still not its work
            assert exercise.passed == exercise.total, (slug, exercise.message)
        if want["status"] == "passed" and "rules_failed" not in want:
            assert exercise.score == exercise.max_score
            assert all(r.passed for r in exercise.rules)


def test_every_diagnosis_is_demonstrated():
    shown = set()
    for name in CASES:
        for want in json.loads((HERE / name / "expected.json").read_text())["exercises"].values():
            shown.update(want.get("diagnoses", []))
    known = {m.id for e in registry.EXERCISES for m in e.misconceptions}
    assert shown == known, known - shown


def test_hidden_failures_never_show_expected_values(graded):
    for result in graded.values():
        for e in result.exercises:
            for c in e.cases:
                if c.hidden and not c.passed and c.stage == "values":
                    assert "expected" not in c.message, c.message
                if c.hidden and not c.passed and c.stage != "runs":  # "runs" quotes the student's own error
                    assert not re.search(r"expected (the int )?-?\d", c.message), c.message
                if c.hidden and not c.passed:   # attack-leak-line: a line number can encode the inputs
                    assert " at line " not in c.message, c.message


def test_attacks_finish_within_their_limits_and_leave_nothing_running(graded):
    for name in CASES:
        hung = sum(1 for e in graded[name].exercises for c in e.cases if "did not return within" in c.message)
        # each hang costs one time limit (later cases of that function are not run), plus start-up
        assert DURATIONS[name] < hung * TIMEOUT + 20, (name, DURATIONS[name])
    leftovers = still_running(markers=(b"98765",))   # attack-daemon's marker
    assert not leftovers, "; ".join(map(str, leftovers))
    # attack-plant's files, and the grader's own private folders, are gone (or never reached the host).
    planted = [str(p) for folder in (Path.cwd(), Path("/tmp"), Path("/dev/shm"), Path.home(), HERE.parent.parent)
               for p in folder.glob("*") if p.name in ("numpy.py", "convcourse-attack-leftover")
               or p.name.startswith(("convcourse-attack-", "convcourse-src-", "convcourse-xchg-", "convcourse-work-"))]
    assert not planted, planted
    cgroups = [p for c in ("pids", "memory") if os.path.isdir(f"/sys/fs/cgroup/{c}")
               for p in os.listdir(f"/sys/fs/cgroup/{c}") if p.startswith("convcourse-")]
    assert not cgroups, cgroups


@pytest.mark.parametrize("name", [n for n in CASES if "perf" in json.loads((HERE / n / "expected.json").read_text())])
def test_tier_verdicts(name):
    """Cases that state a tier verdict are graded with timing too (only verdicts that no noise can flip)."""
    expected = json.loads((HERE / name / "expected.json").read_text())["perf"]
    graded = grade_path(HERE / name, student="golden", slugs=list(expected), perf=True)
    assert graded.isolation["missing"] == [], graded.isolation   # timed inside the full sandbox
    result = {e.slug: e for e in graded.exercises}
    for slug, want in expected.items():
        assert result[slug].tier == want["tier"], (slug, result[slug].tier, result[slug].message)
        if "message" in want:
            assert want["message"] in result[slug].message, result[slug].message


def test_results_stay_small_whatever_the_child_sends(graded):
    """Every string of the child's is cut to size: no submission's results weigh more than a few pages
    (attack-long-names raises with a name and a message of a million characters each)."""
    for name, result in graded.items():
        assert len(result.dumps()) < 100_000, (name, len(result.dumps()))


def test_no_output_format_holds_the_secret_or_a_hidden_input(graded):
    """attack-leak-hidden writes each hidden case's arguments into everything it can (message, exception
    class, returned string, returned shape, printing) and looks for the secret: every format is grepped."""
    from autograder.grading.cases import hidden_cases
    from autograder.formats import render_table, to_gradescope, to_html_page, to_junit

    result = graded["attack-leak-hidden"]
    outputs = {"json": result.dumps(), "table": render_table(result, width=200), "junit": to_junit(result),
               "gradescope": to_gradescope(result), "html": to_html_page(result, "feedback")}
    from autograder.grading.cases import public_cases

    writes = {"output_size": lambda a: "LEAK " + " ".join(repr(x) if isinstance(x, str) else str(x) for x in a),
              "pool": lambda a: f"LEAK {tuple(a[1])} {tuple(a[2])}",
              "global_average_pool": lambda a: str(a[0].shape[::-1] + (7,)),
              "parameter_count": lambda a: str(tuple(a[:4]) + (1,))}
    leaks = set()
    for slug, write in writes.items():
        public = {write(c.args) for c in public_cases(slug) if c.function == public_cases(slug)[0].function}
        # what a hidden case would give away, where it differs from everything the public cases show
        leaks |= {write(c.args) for c in hidden_cases(slug, "golden", SECRET)
                  if c.function == public_cases(slug)[0].function} - public
    assert len(leaks) > 8
    for fmt, text in outputs.items():
        assert SECRET not in text, fmt
        for leak in leaks:
            assert leak not in text, (fmt, leak)
    # the public cases still quote what came back: the feedback stays specific where it may
    assert "LEAK" in outputs["json"]


def test_what_a_hidden_case_held_never_reaches_a_later_message(graded):
    """attack-leak-later writes down every call and repeats it in later calls' errors and run-time
    imports: the public cases' own inputs may come back, never a hidden case's."""
    from autograder.formats import render_table, to_gradescope, to_html_page, to_junit
    from autograder.grading.cases import hidden_cases, public_cases

    result = graded["attack-leak-later"]
    text = "\n".join((result.dumps(), render_table(result, width=200), to_junit(result), to_gradescope(result),
                      to_html_page(result, "feedback")))

    def written(case):
        n, k, padding, stride, dilation = case.args + ("valid", 1, 1)[len(case.args) - 2:]   # and the defaults
        return f"LEAKN{n}K{k}P{padding}S{stride}D{dilation}"

    hidden = {written(c) for c in hidden_cases("output_size", "golden", SECRET)} - \
        {written(c) for c in public_cases("output_size")}
    assert hidden and not [h for h in hidden if h in text or h.replace("'", "") in text]
    assert written(public_cases("output_size")[0]) in text   # what the student may see still comes back
    rules = {r.id: r for e in result.exercises if e.slug == "output_size" for r in e.rules}
    assert "imported a module at run time in a hidden case" in rules["forbidden-import"].message


def test_every_format_of_every_result_is_written_and_parses(graded):
    """Whatever a child sent (attack-unprintable: lone surrogates, NUL, ANSI escapes), each format is
    valid UTF-8 and the JUnit file is well-formed XML."""
    from xml.etree import ElementTree as ET

    from autograder.formats import render_table, to_gradescope, to_html_page, to_junit

    for name, result in graded.items():
        for text in (result.dumps(), render_table(result, width=200), to_gradescope(result),
                     to_html_page(result, name), to_junit(result)):
            text.encode("utf-8")
            assert "\x1b" not in text and "\x00" not in text, name
        ET.fromstring(to_junit(result).encode())


#: Golden submissions that cannot be graded in process (they test loading a file, which only the
#: sandboxed grader does); every other non-attack submission is graded both ways below.
LOAD_FAILURES = {"crash-at-import", "exit-at-import", "syntax-error"}


def _in_process(path: Path):
    """``(submission, names it defines, imports it made)`` of the golden submission at ``path``: its
    sources run here as the child runs them (each under its label, the folder importable, the imports of
    other modules than numpy, math and its own files recorded with their line)."""
    import builtins
    import linecache
    import sys

    from autograder.exercises.policy import ALLOWED_IMPORTS
    from autograder.grading.submission import load_submission

    sub = load_submission(path)
    labels, own = {s.label for s in sub.sources}, {Path(s.label).stem for s in sub.sources}
    found, imports, original = {}, [], builtins.__import__

    def recording(name, *args, **kwargs):
        caller = sys._getframe(1)
        if caller.f_code.co_filename in labels and name.split(".")[0] not in ALLOWED_IMPORTS | own:
            imports.append({"module": name, "file": caller.f_code.co_filename, "line": caller.f_lineno})
        return original(name, *args, **kwargs)

    sys.path.insert(0, str(path))
    builtins.__import__ = recording
    try:
        for src in sub.sources:
            # tracebacks quote the source's lines by its label, as a notebook kernel's do for its cells
            linecache.cache[src.label] = (len(src.text), None, src.text.splitlines(True), src.label)
            ns = {"__name__": Path(src.label).stem}
            with warnings.catch_warnings():   # identity-comparison's `is 'same'` warns, as it should
                warnings.simplefilter("ignore", SyntaxWarning)
                code = compile(src.text, src.label, "exec")
            exec(code, ns)   # noqa: S102 - our own golden files
            found.update(ns)
    finally:
        builtins.__import__ = original
        sys.path.remove(str(path))
    return sub, found, imports


BOTH_WAYS = [n for n in CASES if not n.startswith("attack-") and n not in LOAD_FAILURES
             and all(p.suffix in (".py", ".json") for p in (HERE / n).iterdir())]


@pytest.mark.parametrize("name", BOTH_WAYS)
def test_one_grading_core_in_the_sandbox_and_in_process(graded, name):
    """The notebook's in-process runner and the sandboxed grader, through the one grading core, give the
    same verdicts, diagnoses, rules and messages for the same cases."""
    from autograder.grading.cases import all_cases
    from autograder.grading.core import grade_cases
    from autograder.grading.runner import InProcess

    sub, found, imports = _in_process(HERE / name)
    for sandboxed in graded[name].exercises:
        exercise = registry.get(sandboxed.slug)
        names = {n: found[n] for n in exercise.names if n in found}
        runner = InProcess({n: v for n, v in names.items() if callable(v)},
                           {n: v for n, v in names.items() if not callable(v)}, imports)
        here = grade_cases(exercise, all_cases(exercise, "golden", SECRET), runner, sub)
        assert here.to_json() == sandboxed.to_json(), (sandboxed.slug, here.message, sandboxed.message)


def test_both_ways_covers_the_golden_suite():
    """Only the attacks (hostile code is never run in process), the load failures and the notebooks (the
    child runs those cell by cell; a kernel runs its own cells) are left out."""
    notebooks = {n for n in CASES if any((HERE / n).glob("*.ipynb"))}
    assert set(CASES) - set(BOTH_WAYS) == {n for n in CASES if n.startswith("attack-")} | LOAD_FAILURES | notebooks
    assert len(BOTH_WAYS) >= 25
