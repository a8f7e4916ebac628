"""Grade a submission: every exercise of the catalogue, case by case, in a child process.

For each exercise: find its functions (or answer variables), run each public and hidden case through the
child, compare with the reference's answer (:mod:`.compare`), name the misconception behind a wrong answer
(:mod:`.diagnose`), check the static rules (:mod:`.rules`) and score it from the registry's points.
"""

from __future__ import annotations

import re
from collections import Counter

from ..exercises import registry
from .cases import Case, all_cases
from .compare import Verdict
from .diagnose import hint, judge, ranked
from .expected import expected, function_spec
from .results import CaseResult, ExerciseResult, RuleResult, SubmissionResult
from .rules import check_rules, identity_comparisons
from ..sandbox import CALL_SECONDS, Limits, Policy, Runner
from ..sandbox.limits import SUBMISSION_SECONDS
from .submission import Submission, load_submission
from ..timing.tiers import tier_points
from ..timing.measure import measure_tier

__all__ = ["grade_path", "grade_submission", "grade_exercise", "not_graded"]


def _missing_param(case: Case, info: dict) -> str | None:
    """The added parameter this case needs and the student's function lacks, if any."""
    if not case.needs or info.get("varargs"):
        return None
    spec_params = [p.name for p in function_spec(case.function).params]
    for name in case.needs:
        if spec_params.index(name) >= len(info.get("params", [])):
            return name
    return None


def _load_problem(sub: Submission, runner: Runner, name: str) -> str | None:
    """Why ``name`` could not be loaded (syntax error or exception at import), or None."""
    src = sub.source_defining(name)
    if src is None:
        return None
    if (where := src.problem(name)) is not None:
        return f"syntax error at {where}"
    if runner.load_failure is not None:
        return runner.load_failure
    errors = [e for e in runner.load_errors if e.get("source") == src.label]
    if not errors:
        return None
    # in a notebook, the error of the cell that defines it (another cell's error is not why)
    cell = src.cell_of(src.definition_line(name))
    err = next((e for e in errors if e.get("line") and src.cell_of(e["line"]) == cell), errors[0])
    where = src.where(err["line"]) if err.get("line") else src.label
    return f"running {where} raised {err.get('type')}: {err.get('message')}"


def _undefined_helper(sub: Submission, verdict: Verdict) -> Verdict:
    """A NameError for a helper that the submission does define, in code that could not run: say so."""
    found = re.search(r"name '(\w+)' is not defined", verdict.message) if verdict.stage == "runs" else None
    src = sub.source_defining(found[1]) if found else None
    why = src.problem(found[1]) if src is not None else None
    if why is None:
        return verdict
    return Verdict(False, "runs", f"{verdict.message} (`{found[1]}` is defined in code that could not run: "
                                  f"syntax error at {why})")


def grade_exercise(exercise: registry.Exercise, sub: Submission, runner: Runner, student: str = "anonymous",
                   secret: str | None = None, perf: bool = False) -> ExerciseResult:
    """Grade one exercise with an already started ``runner``; with ``perf``, also its performance tier.

    With ``perf`` the tier points count in ``max_score`` for everyone (a submission that fails or is too
    slow earns none of them); without it they are left out of both score and maximum.
    """
    present = {n: runner.found[n] for n in exercise.names if n in runner.found}
    timed = perf and exercise.tier_workload is not None
    max_score = _max_score(exercise, perf)
    if not present:
        problems = [p for p in (_load_problem(sub, runner, n) for n in exercise.names) if p]
        wanted = ", ".join(f"`{n}`" for n in exercise.names)
        if problems:
            rules = check_rules(sub, exercise)   # a forbidden import is often why it could not load
            broken = "".join(f" Rules: {r.message}." for r in rules if not r.passed)
            return ExerciseResult(exercise.slug, "error", 0.0, max_score, 0, len(all_cases(exercise.slug, student, secret)),
                                  rules=rules, message=f"{wanted} could not be loaded: {problems[0]}.{broken}")
        return ExerciseResult(exercise.slug, "missing", 0.0, max_score, 0, len(all_cases(exercise.slug, student, secret)),
                              message=f"No {wanted} found in the submission.")

    case_results, diagnoses, first_fail = [], Counter(), None
    timed_out: set[str] = set()   # a function that hung once is not run again: a hang costs seconds, not minutes
    cases = all_cases(exercise.slug, student, secret)
    for case in cases:
        info = present.get(case.function)
        if info is None:
            verdict = Verdict(False, "exists", f"`{case.function}` is not defined")
        elif runner.budget_spent:
            verdict = Verdict(False, "runs", runner.spent_message())
        elif case.function in timed_out:
            verdict = Verdict(False, "runs", f"not run: an earlier case of `{case.function}` did not return in time")
        elif (missing := _missing_param(case, info)) is not None:
            verdict = Verdict(False, "runs", f"needs the `{missing}` parameter: your `{case.function}` has no "
                                             f"`{missing}` parameter")
        else:
            outcome = runner.get(case.function) if case.is_answer else runner.call(case.function, case.args)
            want = expected(case)
            try:
                verdict, found = judge(case, want, outcome, tuple(info.get("params", ())))
            except Exception as exc:  # noqa: BLE001 - whatever came back, this case fails and the others go on
                verdict, found = Verdict(False, "runs", f"the grader could not check what `{case.function}` "
                                                        f"returned ({type(exc).__name__})"), []
            if not case.hidden:
                verdict = _undefined_helper(sub, verdict)
            diagnoses.update(found)
            if not outcome.ok and outcome.by_grader and (outcome.error or {}).get("type") == "Timeout":
                timed_out.add(case.function)
        case_results.append(CaseResult(case.name, case.hidden, verdict.passed, verdict.stage, verdict.message,
                                       function=case.function, note=case.note))
        if not verdict.passed and first_fail is None:
            first_fail = (case, verdict)

    passed = sum(c.passed for c in case_results)
    rules = _with_runtime_imports(check_rules(sub, exercise), exercise, sub, runner)
    if passed < len(case_results):
        for spec in exercise.functions:
            if identity_comparisons(sub, spec.name):
                diagnoses["identity-comparison"] += 100  # the static finding explains the failures best
    score = exercise.score(passed, len(case_results), [r.id for r in rules if r.passed])
    status = "passed" if passed == len(case_results) else "failed"
    ordered = ranked(diagnoses)
    message = _message(exercise, passed, len(case_results), first_fail, ordered, rules, sub)
    tier = ratio = None
    if timed and status == "passed" and not runner.budget_spent:
        spec = exercise.functions[0]
        measured = measure_tier(runner, spec, exercise.tier_workload)   # fresh OS randomness: unpredictable
        tier, ratio = measured.tier, measured.ratio
        score += tier_points(exercise, tier)
        message += f" Tier: {tier or 'not measured'} ({measured.message})."
    return ExerciseResult(
        exercise.slug, status, round(score, 4), max_score, passed, len(case_results), tier=tier, ratio=ratio,
        rules=rules, diagnoses=ordered, message=message, cases=case_results)


def _with_runtime_imports(rules, exercise, sub: Submission, runner: Runner):
    """Add the imports the child saw student code make at run time (``__import__`` tricks included)."""
    files = {src.label for name in exercise.names if (src := sub.source_defining(name)) is not None}
    seen = [i for i in runner.runtime_imports if i.get("file") in files]
    if not seen or not rules:
        return rules
    found = sorted({f"imported {i['module']} at run time ({i['file']}, line {i['line']})" for i in seen})
    text = "; ".join(found[:3]) + (f"; and {len(found) - 3} more" if len(found) > 3 else "")
    out = []
    for r in rules:
        if r.id == "forbidden-import":
            message = text if r.passed else f"{r.message}; {text}"
            r = RuleResult("forbidden-import", False, message, r.line or f"{seen[0]['file']}, line {seen[0]['line']}")
        out.append(r)
    return out


def _message(exercise, passed, total, first_fail, diagnoses, rules, sub) -> str:
    parts = [f"{passed} of {total} cases pass."]
    if first_fail is not None:
        case, verdict = first_fail
        label = "a hidden case" if case.hidden else f"case {case.name}"
        about = f" ({case.note})" if case.note and not case.hidden else ""
        parts.append(f"First failure, {label}{about}: {verdict.message}.")
    if diagnoses:
        parts.append(f"Likely cause: {hint(diagnoses[0])}")
        if diagnoses[0] == "identity-comparison":
            findings = [f for s in exercise.functions for f in identity_comparisons(sub, s.name)]
            if findings:
                parts.append(f"See {findings[0].line}.")
    broken = [r for r in rules if not r.passed]
    if broken:
        parts.append("Rules: " + "; ".join(r.message for r in broken) + ".")
    return " ".join(parts)


def _max_score(exercise, perf: bool) -> float:
    """Correctness and rule points, and with ``perf`` the tier points of an exercise that has a workload."""
    return exercise.max_score + (exercise.points.tier if perf and exercise.tier_workload is not None else 0.0)


def _error_result(exercise, message: str, perf: bool, student: str, secret: str | None) -> ExerciseResult:
    """An exercise the grader could not grade: ``error``, no points, every case counted, and why."""
    return ExerciseResult(exercise.slug, "error", 0.0, _max_score(exercise, perf), 0,
                          len(all_cases(exercise.slug, student, secret)), message=message)


def _could_not_grade(exercise, exc: Exception, perf: bool, student: str, secret: str | None) -> ExerciseResult:
    return _error_result(exercise, f"The grader could not grade this exercise: what the submission's process sent "
                                   f"back made no sense ({type(exc).__name__}).", perf, student, secret)


def not_graded(path, student: str, slugs, reason: str, perf: bool = False, secret: str | None = None) -> SubmissionResult:
    """The result of a submission the grader could not grade at all: every exercise ``error``, with why."""
    exercises = [registry.get(s) for s in slugs] if slugs else list(registry.EXERCISES)
    return SubmissionResult(student=student, submission=str(path), exercises=[
        _error_result(e, f"The grader could not grade this submission: {reason}.", perf, student, secret)
        for e in exercises])


def grade_submission(sub: Submission, student: str = "anonymous", slugs=None, secret: str | None = None,
                     timeout: float = CALL_SECONDS, perf: bool = False, policy: Policy | None = None,
                     budget: float = SUBMISSION_SECONDS) -> SubmissionResult:
    """Grade ``sub`` on the exercises ``slugs`` (default: the whole catalogue); ``perf`` measures tiers.
    ``policy``: the isolation to insist on (raises :class:`~.sandbox.SandboxUnavailable` without it).
    ``timeout`` bounds one call, ``budget`` all of the submission's calls together (seconds)."""
    exercises = [registry.get(s) for s in slugs] if slugs else list(registry.EXERCISES)
    names = [n for e in exercises for n in e.names]
    results = []
    with Runner(sub, names, timeout=timeout, policy=policy, limits=Limits(submission_seconds=budget)) as runner:
        try:
            runner.start()
        except Exception as exc:  # noqa: BLE001 - a load the grader cannot read is that load's failure
            runner.close()
            runner.load_failure = f"loading the submission failed: the grader could not read how it went ({type(exc).__name__})"
        for exercise in exercises:
            try:
                results.append(grade_exercise(exercise, sub, runner, student, secret, perf))
            except Exception as exc:  # noqa: BLE001 - whatever the child did, the other exercises are graded
                results.append(_could_not_grade(exercise, exc, perf, student, secret))
    return SubmissionResult(student=student, submission=sub.path, exercises=results,
                            isolation=runner.isolation.to_json())


def grade_path(path, student: str = "anonymous", slugs=None, secret: str | None = None,
               timeout: float = CALL_SECONDS, perf: bool = False, policy: Policy | None = None,
               budget: float = SUBMISSION_SECONDS) -> SubmissionResult:
    """Load and grade the submission at ``path`` (raises :class:`~.submission.SubmissionError`)."""
    return grade_submission(load_submission(path), student, slugs, secret, timeout, perf, policy, budget)
