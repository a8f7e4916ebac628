"""The grading core: one exercise's cases through a :class:`~.runner.CaseRunner`, to a result.

For each case: run it, compare with the reference's answer (:mod:`.compare`), name the misconceptions
behind a wrong answer (:mod:`.diagnose`); then the static rules (:mod:`.rules`), the score from the
exercise's points and the message. The hardened grader (:mod:`.grade`, a sandboxed runner) and the
notebook's ``check()`` and ``autograde()`` (:mod:`autograder.course.notebook`, an in-process runner)
both grade through :func:`grade_cases`, so the same cases give the same verdicts, diagnoses and messages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..exercises.model import Exercise
from ..exercises.policy import COURSE_PACKAGES
from .cases import Case, expected
from .compare import Verdict
from .kinds import case_kind
from .diagnose import explanation, judge, ranked, static_findings
from .results import Breakdown, CaseResult, ExerciseResult, RuleResult, Stage, Status
from .rules import borrowed_answers, check_rules
from .runner import CaseRunner
from .submission import Submission

__all__ = ["grade_cases", "Grading", "start", "run_cases", "finish", "load_problem", "Observer"]

#: ``observe(case, want, outcome, verdict)``: called after each case that ran (the notebook draws pictures).
Observer = Callable[[Case, object, object, Verdict], None]


def _missing_param(case: Case, info: dict) -> str | None:
    """The added parameter this case needs and the student's function lacks, if any."""
    if not case.needs or info.get("varargs"):
        return None
    spec_params = [p.name for p in case.spec.params]
    for name in case.needs:
        if spec_params.index(name) >= len(info.get("params", [])):
            return name
    return None


def load_problem(sub: Submission, runner: CaseRunner, name: str) -> str | None:
    """Why ``name`` could not be loaded (syntax error or exception at import), or None."""
    src = sub.source_defining(name)
    if src is None:
        return None
    if (where := src.problem(name)) is not None:
        return f"syntax error at {where}"
    if runner.load_failure is not None:
        return runner.load_failure
    errors = [e for e in runner.load_errors if e.source == src.label]
    if not errors:
        return None
    # in a notebook, the error of the cell that defines it (another cell's error is not why)
    cell = src.cell_of(src.definition_line(name))
    err = next((e for e in errors if e.line and src.cell_of(e.line) == cell), errors[0])
    where = src.where(err.line) if err.line else src.label
    return f"running {where} raised {err.type}: {err.message}"


def _undefined_helper(sub: Submission, verdict: Verdict) -> Verdict:
    """A NameError for a helper that the submission does define, in code that could not run: say so."""
    found = re.search(r"name '(\w+)' is not defined", verdict.message) if verdict.stage == Stage.RUNS else None
    src = sub.source_defining(found[1]) if found else None
    why = src.problem(found[1]) if src is not None else None
    if why is None:
        return verdict
    return Verdict(False, Stage.RUNS, f"{verdict.message} (`{found[1]}` is defined in code that could not run: "
                                      f"syntax error at {why})")


def _with_runtime_imports(rules, exercise: Exercise, sub: Submission, runner: CaseRunner, hidden_only=frozenset()):
    """Add the imports the runner saw student code make at run time (``__import__`` tricks included).
    Those seen only in hidden cases are not quoted: their names and lines are the child's to choose, and
    could spell the hidden inputs."""
    files = {src.label for name in exercise.names if (src := sub.source_defining(name)) is not None}
    seen = [i for i in runner.runtime_imports if i.get("file") in files
            and (i["module"], i["file"], i["line"]) not in hidden_only]
    secret = any(file in files for _, file, _ in hidden_only)
    if not (seen or secret) or not rules:
        return rules
    found = sorted({f"imported {i['module']} at run time ({i['file']}, line {i['line']})" for i in seen})
    text = "; ".join(found[:3] + ([f"and {len(found) - 3} more"] if len(found) > 3 else [])
                     + (["imported a module at run time in a hidden case"] if secret else []))
    out = []
    for r in rules:
        if r.id == "forbidden-import":
            message = text if r.passed else f"{r.message}; {text}"
            r = RuleResult("forbidden-import", False, message,
                           r.line or (f"{seen[0]['file']}, line {seen[0]['line']}" if seen else "a hidden case"))
        out.append(r)
    return out


def _judged(exercise: Exercise, case: Case, runner: CaseRunner, info: dict, sub: Submission,
            observe: Observer | None):
    outcome = runner.get(case.function) if case.is_answer else runner.call(case.function, case.args)
    want = expected(case)
    try:
        verdict, found = judge(exercise, case, want, outcome, tuple(info.get("params", ())))
    except Exception as exc:  # noqa: BLE001 - whatever came back, this case fails and the others go on
        verdict, found = Verdict(False, Stage.RUNS, f"the grader could not check what `{case.function}` "
                                                    f"returned ({type(exc).__name__})"), []
    if not case.hidden:
        verdict = _undefined_helper(sub, verdict)
    if observe is not None:
        observe(case, want, outcome, verdict)
    return outcome, verdict, found


def _once(verdict: Verdict, case: Case, outcome, raised: dict) -> Verdict:
    """A public case that raised the very error an earlier case of the function raised says so in a few
    words instead of repeating it (a forbidden import's long message once, not twelve times)."""
    err = outcome.error
    if verdict.passed or case.hidden or verdict.stage != Stage.RUNS or err is None or outcome.by_grader:
        return verdict
    key = (case.function, err.type, err.message, err.line)
    if key not in raised:
        raised[key] = case.name
        return verdict
    return Verdict(False, Stage.RUNS, f"{case.function} raised the same {err.type} as case {raised[key]}")


@dataclass
class Grading:
    """One exercise part-way through grading: the cases run so far and what they found.

    The hardened grader runs every exercise's public cases before any hidden one (:func:`run_cases` in
    two rounds), so that nothing a public case shows (a student's error message, an import) can carry
    what the code saw in a hidden case. :func:`finish` makes the result."""

    exercise: Exercise
    present: dict[str, dict]
    total: int = 0
    results: list[CaseResult] = field(default_factory=list)
    diagnoses: Counter = field(default_factory=Counter)
    first_fail: tuple | None = None
    reached: dict = field(default_factory=dict)
    raised: dict = field(default_factory=dict)
    timed_out: set = field(default_factory=set)   # a function that hung once is not run again
    shown_imports: set = field(default_factory=set)    # run-time imports seen in public cases
    hidden_imports: set = field(default_factory=set)   # ... and in hidden ones


def start(exercise: Exercise, runner: CaseRunner) -> Grading:
    return Grading(exercise, {n: runner.found[n] for n in exercise.names if n in runner.found})


def run_cases(grading: Grading, cases: list[Case], runner: CaseRunner, sub: Submission,
              observe: Observer | None = None) -> Grading:
    """Run ``cases`` of the exercise into ``grading`` (none run when the exercise's code is missing)."""
    exercise, present = grading.exercise, grading.present
    grading.total += len(cases)
    if not present:
        return grading
    for case in cases:
        info = present.get(case.function)
        found = []
        if info is None:
            verdict = Verdict(False, Stage.EXISTS, f"`{case.function}` is not defined")
        elif runner.budget_spent:
            verdict = Verdict(False, Stage.RUNS, runner.spent_message())
        elif case.function in grading.timed_out:
            verdict = Verdict(False, Stage.RUNS, f"not run: an earlier case of `{case.function}` did not return in time")
        elif (missing := _missing_param(case, info)) is not None:
            verdict = Verdict(False, Stage.RUNS, f"needs the `{missing}` parameter: your `{case.function}` has no "
                                                 f"`{missing}` parameter")
        else:
            outcome, verdict, found = _judged(exercise, case, runner, info, sub, observe)
            grading.reached.update(dict.fromkeys(outcome.reached))
            imports = {(i["module"], i["file"], i["line"]) for i in outcome.imports}
            (grading.hidden_imports if case.hidden else grading.shown_imports).update(imports)
            verdict = _once(verdict, case, outcome, grading.raised)
            if not outcome.ok and outcome.by_grader and outcome.error and outcome.error.type == "Timeout":
                grading.timed_out.add(case.function)
        grading.diagnoses.update(found)
        grading.results.append(CaseResult(case.name, case.hidden, verdict.passed, verdict.stage, verdict.message,
                                          function=case.function, id=case.id,   # a hidden note may hold its values
                                          note=case_kind(case) if case.hidden else case.note))
        if not verdict.passed and grading.first_fail is None:
            grading.first_fail = (case, verdict)
    return grading


def finish(grading: Grading, runner: CaseRunner, sub: Submission, rules: list[RuleResult] | None = None
           ) -> ExerciseResult:
    """The exercise's result from the cases run: verdicts, diagnoses, rules, borrowing, score, message."""
    exercise, present, total = grading.exercise, grading.present, grading.total
    if not present:
        problems = [p for p in (load_problem(sub, runner, n) for n in exercise.names) if p]
        wanted = ", ".join(f"`{n}`" for n in exercise.names)
        if problems:
            rules = check_rules(sub, exercise) if rules is None else rules   # a forbidden import is often why
            broken = "".join(f" Rules: {r.message}." for r in rules if not r.passed)
            return ExerciseResult(exercise.slug, Status.ERROR, 0.0, exercise.max_score, 0, total, rules=rules,
                                  message=f"{wanted} could not be loaded: {problems[0]}.{broken}")
        return ExerciseResult(exercise.slug, Status.MISSING, 0.0, exercise.max_score, 0, total,
                              message=f"No {wanted} found in the submission.")
    case_results = grading.results
    passed = sum(c.passed for c in case_results)
    if rules is None:
        rules = _with_runtime_imports(check_rules(sub, exercise), exercise, sub, runner,
                                      grading.hidden_imports - grading.shown_imports)
    seen = static_findings(exercise, sub, present) if passed < len(case_results) else {}
    correctness, rule_points = exercise.earned(passed, len(case_results), [r.id for r in rules if r.passed])
    borrowed = [f"{f.text} ({f.line})" for f in borrowed_answers(sub, exercise)] + list(grading.reached) \
        + _course_imports(sub, grading.shown_imports | grading.hidden_imports)
    if borrowed:   # what came back is the course's answer, not the student's: nothing is earned
        correctness = rule_points = 0.0
    score = correctness + rule_points
    ordered = ranked(exercise, grading.diagnoses, seen)
    message = _message(passed, len(case_results), grading.first_fail, explanation(exercise, grading.diagnoses, seen),
                       rules)
    if borrowed:
        message = (f"Borrowed answer, no points: your code uses the course's own code, so what it returns is "
                   f"not your work ({'; '.join(borrowed[:3])}). {message}")
    return ExerciseResult(
        exercise.slug, Status.PASSED if passed == len(case_results) and not borrowed else Status.FAILED,
        round(score, 4), exercise.max_score, passed, len(case_results), rules=rules, diagnoses=ordered,
        message=message, cases=case_results, points=Breakdown(correctness=correctness, rules=rule_points),
        borrowed=borrowed)


def _course_imports(sub: Submission, imports: set) -> list[str]:
    """The run-time imports of course code (SPEC §2), in fixed words: the module's name and line come
    from the child, which could write a hidden case's inputs into them."""
    own = {Path(s.path).stem for s in sub.sources}
    roots = {module.split(".")[0] for module, _, _ in imports}
    return [f"tried to import {root} while it ran" for root in COURSE_PACKAGES if root in roots and root not in own]


def grade_cases(exercise: Exercise, cases: list[Case], runner: CaseRunner, sub: Submission,
                rules: list[RuleResult] | None = None, observe: Observer | None = None) -> ExerciseResult:
    """Grade ``exercise`` on ``cases`` with an already started ``runner`` (no tier), in one round.

    ``sub`` is the submission's source, for its rules and static diagnoses; ``rules`` replaces the rules
    read from it (the notebook reads them from the live functions instead).
    """
    return finish(run_cases(start(exercise, runner), cases, runner, sub, observe), runner, sub, rules)


def _message(passed, total, first_fail, cause: str, rules) -> str:
    parts = [f"{passed} of {total} cases pass."]
    if first_fail is not None:
        case, verdict = first_fail
        label = "a hidden case" if case.hidden else f"case {case.name}"
        about = f" ({case.note})" if case.note and not case.hidden else ""
        parts.append(f"First failure, {label}{about}: {verdict.message}.")
    if cause:   # each idea that together explains the failures, and the pattern where none does
        parts.append(cause)
    broken = [r for r in rules if not r.passed]
    if broken:
        parts.append("Rules: " + "; ".join(r.message for r in broken) + ".")
    return " ".join(parts)
