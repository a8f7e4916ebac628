"""Grade a submission for the record: every exercise of the catalogue, in a sandboxed child process.

One child loads the submission; each exercise goes through the grading core (:mod:`.core`) on the
student's public cases, then (once every exercise's public cases have run) on the hidden ones, and,
when asked, its tier is measured (:mod:`autograder.timing`).
Whatever the child does, every exercise gets a result.
"""

from __future__ import annotations

from ..exercises import registry
from ..sandbox import Limits, Policy, Runner
from ..sandbox.limits import CALL_SECONDS, SUBMISSION_SECONDS
from ..timing import agree
from ..timing.measure import TrustedBaseline, measure_tier
from .cases import all_cases, hidden_cases, public_cases
from .core import finish, run_cases, start
from .results import ExerciseResult, Status, SubmissionResult
from .submission import Submission, load_submission

__all__ = ["grade_path", "grade_submission", "not_graded"]


def _finished(grading, sub: Submission, runner: Runner, perf: bool, baseline=None) -> ExerciseResult:
    """The result of a graded exercise, with its tier measured when asked for and every case passed."""
    exercise = grading.exercise
    result = finish(grading, runner, sub)
    result.extra_credit_max = _extra_credit(exercise, perf)
    if perf and exercise.workload is not None and result.status == Status.PASSED and not runner.budget_spent:
        measured = measure_tier(runner, exercise.functions[0], exercise.workload,   # fresh OS randomness
                                baseline=baseline)
        result.tier, result.ratio = measured.tier, measured.ratio
        result.points.tier = exercise.tier_points(measured.tier)
        result.score = round(result.score + result.points.tier, 4)
        result.message += f" Tier: {measured.tier or 'not measured'} ({measured.message})."
    return result


def _extra_credit(exercise, perf: bool) -> float:
    """The tier points on offer: with ``perf``, those of an exercise that has a workload. They are extra
    credit, on top of the correctness and rule points of ``max_score``, in every format."""
    return exercise.points.tier if perf and exercise.workload is not None else 0.0


def _error_result(exercise, message: str, perf: bool, student: str, secret: str | None) -> ExerciseResult:
    """An exercise the grader could not grade: ``error``, no points, every case counted, and why."""
    return ExerciseResult(exercise.slug, Status.ERROR, 0.0, exercise.max_score, 0,
                          len(all_cases(exercise.slug, student, secret)), message=message,
                          extra_credit_max=_extra_credit(exercise, perf))


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
    ``policy``: the isolation to insist on (raises :class:`~autograder.sandbox.isolation.SandboxUnavailable` without it).
    ``timeout`` bounds one call, ``budget`` all of the submission's calls together (seconds)."""
    exercises = [registry.get(s) for s in slugs] if slugs else list(registry.EXERCISES)
    names = [n for e in exercises for n in e.names]
    results = []
    with Runner(sub, names, timeout=timeout, policy=policy, limits=Limits(submission_seconds=budget)) as runner, \
            TrustedBaseline(runner.limits, runner.policy) as baseline:   # one child for every exercise's tier
        try:
            runner.spawn_ahead()   # the children boot (about 90 ms each) while Numba sets itself up
            if perf:
                baseline.spawn_ahead()
            agree.warm_up()   # Numba's first load of a cached kernel: 0.4 s, once a process
            runner.start()
        except Exception as exc:  # noqa: BLE001 - a load the grader cannot read is that load's failure
            runner.close()
            runner.load_failure = f"loading the submission failed: the grader could not read how it went ({type(exc).__name__})"
        # Every exercise's public cases first, then the hidden ones: the child keeps its state from call to
        # call, and a public case's feedback (the student's own error message) must not be able to carry
        # what the code saw in a hidden case.
        gradings, failed = {}, {}
        for cases_of in (public_cases, lambda e: hidden_cases(e, student, secret)):
            for exercise in exercises:
                if exercise.slug in failed:
                    continue
                try:
                    grading = gradings.get(exercise.slug) or start(exercise, runner)
                    gradings[exercise.slug] = run_cases(grading, cases_of(exercise), runner, sub)
                except Exception as exc:  # noqa: BLE001 - whatever the child did, the other exercises are graded
                    failed[exercise.slug] = _could_not_grade(exercise, exc, perf, student, secret)
        for exercise in exercises:
            try:
                results.append(failed.get(exercise.slug)
                               or _finished(gradings[exercise.slug], sub, runner, perf, baseline))
            except Exception as exc:  # noqa: BLE001
                results.append(_could_not_grade(exercise, exc, perf, student, secret))
    return SubmissionResult(student=student, submission=sub.path, exercises=results,
                            isolation=runner.isolation.to_json())


def grade_path(path, student: str = "anonymous", slugs=None, secret: str | None = None,
               timeout: float = CALL_SECONDS, perf: bool = False, policy: Policy | None = None,
               budget: float = SUBMISSION_SECONDS) -> SubmissionResult:
    """Load and grade the submission at ``path`` (raises :class:`~.submission.SubmissionError`)."""
    return grade_submission(load_submission(path), student, slugs, secret, timeout, perf, policy, budget)
