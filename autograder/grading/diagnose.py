"""Misconception diagnosis (SPEC §3, ids of SPEC §5): which known wrong idea produced this wrong answer?

The ideas are the exercise's own (:attr:`~autograder.exercises.model.Exercise.misconceptions`). For a
failed case, each predicts what a student holding it would have returned, computed with the reference
and altered arguments (a padding rule, a swapped stride, a flipped kernel...). A prediction that differs
from the right answer and matches the student's output names the idea. Most of these mistakes keep the
output shape (the even-kernel 'same' padding bug shifts values by one pixel), so the match is on
values, not only shapes. Ideas that no single output shows test what came back instead.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..exercises.model import Call, Exercise
from .cases import Case
from .compare import Verdict, check, close_enough
from .results import Stage

__all__ = ["judge", "diagnose", "ranked", "static_findings"]

#: Stages at which a case returned a wrong answer (rather than raising, or changing its inputs).
_WRONG_ANSWER = (Stage.NDARRAY, Stage.SHAPE, Stage.DTYPE, Stage.VALUES)


def _matches(got, pred, case: Case) -> bool:
    if isinstance(pred, np.ndarray):
        if not isinstance(got, np.ndarray) or got.shape != pred.shape or got.dtype.kind not in "biuf":
            return False
        with np.errstate(invalid="ignore"):
            return bool(close_enough(got, pred, case.terms, 1.0 + float(np.max(np.abs(pred), initial=0))).all())
    return not isinstance(got, np.ndarray) and got == pred


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and np.allclose(a, b)
    return a == b


def _predicts(predict, call: Call, got) -> bool:
    try:
        value = predict(call)
    except (ValueError, IndexError, TypeError):   # the altered arguments are not a valid call: no prediction
        return False
    return value is not None and not _same(value, call.want) and _matches(got, value, call.case)


def diagnose(exercise: Exercise, case: Case, got, want, stage: Stage = Stage.VALUES) -> list[str]:
    """Ids of the exercise's ideas that explain the wrong answer ``got`` to ``case`` (failed at ``stage``)."""
    call = Call(case, case.named, want)
    found = []
    for m in exercise.misconceptions:
        if m.id in found or not m.concerns(case.function):
            continue
        if m.explains is not None and m.explains(call, got, stage):
            found.append(m.id)
        elif stage in _WRONG_ANSWER and any(_predicts(p, call, got) for p in m.predicts):
            found.append(m.id)
    return found


def judge(exercise: Exercise, case: Case, want, outcome, param_names: tuple[str, ...] = ()):
    """The staged verdict of one case and, when it came back wrong, the ideas behind it:
    ``(Verdict, [diagnosis ids])``."""
    verdict = check(case, want, outcome, param_names)
    if verdict.passed or not outcome.ok or case.is_answer:
        return verdict, []
    return verdict, diagnose(exercise, case, outcome.value, want, verdict.stage)


def static_findings(exercise: Exercise, submission, functions) -> dict[str, list]:
    """Ideas seen in the source of ``functions`` (id -> findings), for an exercise with a failed case."""
    out: dict[str, list] = {}
    for m in exercise.misconceptions:
        if m.static is None:
            continue
        for name in functions:
            if m.concerns(name) and (found := m.static(submission, name)):
                out.setdefault(m.id, []).extend(found)
    return out


def ranked(exercise: Exercise, counts: Counter, seen: dict | None = None) -> list[str]:
    """Diagnosis ids, best explanation first: by priority (an idea seen in the source first), then by how
    many cases each explains, then in the exercise's order (most specific first)."""
    order = {}
    for i, m in enumerate(exercise.misconceptions):
        order.setdefault(m.id, (m.priority, i))
    ids = set(counts) | set(seen or ())
    return sorted(ids, key=lambda d: (-order.get(d, (0, 99))[0], -counts.get(d, 0), order.get(d, (0, 99))[1]))
