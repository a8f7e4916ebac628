"""Misconception diagnosis (SPEC §3, ids of SPEC §5): which known wrong idea produced this wrong answer?

The ideas are the exercise's own (:attr:`~autograder.exercises.model.Exercise.misconceptions`). For each
case, each idea predicts what a student holding it would have returned, computed with the reference and
altered arguments (a padding rule, a swapped stride, a flipped kernel...), or that the call would raise
(:data:`~autograder.exercises.common.RAISES`: a window cut short by the edge of the padded image). Most
of these mistakes keep the output shape (the even-kernel 'same' padding bug shifts values by one pixel),
so the match is on values, not only shapes. Ideas that no single output shows test what came back instead.

One case is not the whole story, so each case's :class:`Evidence` records what it showed of every idea:

- a failed case **explained** by an idea (its prediction is what came back, or its test holds);
- a passed case that **refutes** an idea (every form of it would have failed this case, and it passed);
- a failed case an idea **misses** (it predicted a wrong answer, but another one came back).

:func:`ranked` then weighs all cases at once: ideas that no passing case refutes come first, and when no
single one explains every failing case, the few that together do are named together (a formula that keeps
the input size under stride *and* adds a zero for even kernels is both). Where even they leave failing
cases unexplained, :func:`explanation` reports the pattern the cases show ("every case with an even kernel
fails, and every other case passes"), also when the function raised or returned garbage.
"""

from __future__ import annotations

import numbers
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..exercises.common import RAISES, window_error
from ..exercises.model import Call, Exercise
from ..sandbox.replies import ErrorRecord
from .cases import Case
from .compare import builtin_error, check, close_enough, part_terms
from .kinds import features
from .results import Stage

__all__ = ["Evidence", "Analysis", "judge", "diagnose", "examine", "prediction", "ranked", "analyse", "explanation",
           "static_findings", "features"]

#: Stages at which a case returned a wrong answer (rather than raising, or changing its inputs).
_WRONG_ANSWER = (Stage.NDARRAY, Stage.SHAPE, Stage.DTYPE, Stage.VALUES)

#: Errors that say nothing about the student's idea: the function was not written yet, or the grader
#: stopped it (its own limits), or what it sent could not be read.
_NOT_AN_ANSWER = ("NotImplementedError", "ProtocolError")


@dataclass(frozen=True)
class Evidence:
    """What one case showed about the exercise's ideas: :func:`judge` gives one per case it judged, the
    grading core counts them, :func:`ranked` and :func:`explanation` read them all at once.

    ``case`` is the case's name in this run; ``features`` say what kind of case it is (:func:`features`);
    ``raised`` is the exception's type when the call raised; ``by_raising``, the ideas of ``explains``
    that only predicted it would raise (weaker: many mistakes raise the same way).
    """

    case: str
    passed: bool
    features: tuple[str, ...] = ()
    explains: tuple[str, ...] = ()
    refutes: tuple[str, ...] = ()
    misses: tuple[str, ...] = ()
    raised: str = ""
    by_raising: tuple[str, ...] = ()


# ----------------------------------------------------------------------------------- one case, one idea

def _answer_value(x):
    """A by-hand answer as something comparable: a float, a float array, or a list of ints and tuples."""
    if isinstance(x, (bool, np.bool_)):
        return None
    if isinstance(x, numbers.Real):
        return float(x)
    try:
        arr = np.asarray(x, dtype=np.float64)
        if arr.dtype == object:
            raise ValueError
        return arr
    except (TypeError, ValueError):
        try:
            return [tuple(int(v) for v in e) if isinstance(e, (tuple, list)) else int(e) for e in x]
        except (TypeError, ValueError):
            return None


def _answer_matches(got, pred, tolerance: float) -> bool:
    g, p = _answer_value(got), _answer_value(pred)
    if g is None or p is None:
        return False
    if isinstance(p, float) or isinstance(g, float):
        return isinstance(p, float) and isinstance(g, float) and abs(g - p) < tolerance
    if isinstance(p, np.ndarray) or isinstance(g, np.ndarray):
        return (isinstance(p, np.ndarray) and isinstance(g, np.ndarray) and g.shape == p.shape
                and bool((np.abs(g - p) < tolerance).all()))
    return g == p


def _matches(got, pred, case: Case, stage: Stage) -> bool:
    if pred is RAISES:
        return stage == Stage.RUNS and window_error(got)
    if isinstance(got, ErrorRecord):
        return False
    if case is not None and case.is_answer:
        return _answer_matches(got, pred, case.spec.tolerance)
    if isinstance(pred, tuple):   # a function that returns several values: each item must match
        return (isinstance(got, (tuple, list)) and len(got) == len(pred)
                and all(_value_matches(g, p, part_terms(case, i)) for i, (g, p) in enumerate(zip(got, pred))))
    return _value_matches(got, pred, case.terms)


def _value_matches(got, pred, terms: int) -> bool:
    if isinstance(pred, np.ndarray):
        if not isinstance(got, np.ndarray) or got.shape != pred.shape or got.dtype.kind not in "biuf":
            return False
        with np.errstate(invalid="ignore"):
            return bool(close_enough(got, pred, terms, 1.0 + float(np.max(np.abs(pred), initial=0))).all())
    if isinstance(got, np.ndarray) or isinstance(pred, list) or isinstance(got, list):
        return isinstance(pred, list) and _answer_value(got) == _answer_value(pred)
    numeric = (numbers.Number, np.number)
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, numeric) or not isinstance(pred, numeric):
        return False
    return bool(got == pred)


def _same(a, b) -> bool:
    if a is RAISES or b is RAISES:
        return a is b
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        return a.shape == b.shape and np.allclose(a, b)
    return a == b


def prediction(predict, call: Call):
    """What ``predict`` says of this call: a wrong answer it predicts, or None (it makes no difference here,
    or the altered arguments are not a valid call)."""
    try:
        value = predict(call)
    except Exception:  # noqa: BLE001 - the reference refusing altered arguments (or anything else): no prediction
        return None
    if value is None or _same(value, call.want):
        return None
    return value


def examine(exercise: Exercise, case: Case, got, want, stage: Stage | None) -> tuple[list, list, list, list]:
    """``(explains, refutes, misses, by_raising)``: the ids of the ideas this case's outcome shows, rules out,
    or does not fit, and those of ``explains`` that only predicted a raise. ``stage`` is the stage that
    failed (None when the case passed); ``got`` is what came back, or the
    :class:`~autograder.sandbox.replies.ErrorRecord` of what it raised."""
    call = Call(case, case.named, want)
    explains, refutes, misses, by_raising = [], [], [], []
    for m in exercise.misconceptions:
        if m.id in explains or m.id in refutes or not m.concerns(case.function):
            continue
        predictions = [prediction(p, call) for p in m.predicts]
        applied = [v for v in predictions if v is not None]
        if stage is None:
            if m.predicts and len(applied) == len(m.predicts):   # every form of the idea would have failed it
                refutes.append(m.id)
            continue
        if m.explains is not None and m.explains(call, got, stage):
            explains.append(m.id)
        elif (stage in _WRONG_ANSWER or stage == Stage.RUNS) and (
                matched := [v for v in applied if _matches(got, v, case, stage)]):
            explains.append(m.id)
            if all(v is RAISES for v in matched):
                by_raising.append(m.id)
        elif applied and stage in _WRONG_ANSWER:
            misses.append(m.id)
    return explains, refutes, misses, by_raising


def diagnose(exercise: Exercise, case: Case, got, want, stage: Stage = Stage.VALUES) -> list[str]:
    """Ids of the exercise's ideas that explain the wrong answer ``got`` to ``case`` (failed at ``stage``)."""
    return examine(exercise, case, got, want, stage)[0]


def _useful(outcome) -> bool:
    """Whether a failed call's outcome says anything of the student's idea."""
    if outcome.ok:
        return True
    err = outcome.error
    return err is not None and not outcome.by_grader and err.type not in _NOT_AN_ANSWER


def judge(exercise: Exercise, case: Case, want, outcome, param_names: tuple[str, ...] = ()):
    """The staged verdict of one case and what it showed of the exercise's ideas: ``(Verdict, [Evidence])``
    (one record, or none when the case says nothing: not written yet, stopped by the grader)."""
    verdict = check(case, want, outcome, param_names)
    if not _useful(outcome):
        return verdict, []
    got = outcome.value if outcome.ok else outcome.error
    stage = None if verdict.passed else verdict.stage
    explains, refutes, misses, by_raising = examine(exercise, case, got, want, stage)
    raised = "" if outcome.ok else outcome.error.type
    if case.hidden and raised and not builtin_error(raised):   # the class's name is the child's: it could spell
        raised = "an exception of its own"                     # the hidden inputs
    return verdict, [Evidence(case.name, verdict.passed, features(case, exercise), tuple(explains), tuple(refutes),
                              tuple(misses), raised, tuple(by_raising))]


# ------------------------------------------------------------------------------------ what kind of case

# ---------------------------------------------------------------------------------------- all the cases

@dataclass
class Analysis:
    """What all the cases say together: ``ids``, best explanation first; ``primary``, the ideas that
    together explain the failing cases (one, usually); ``unexplained``, failing cases none of them
    explains; ``pattern``, a sentence on which cases fail, or ''."""

    ids: list[str] = field(default_factory=list)
    primary: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    pattern: str = ""


def _separators(failing, passing) -> list[tuple[str, ...]]:
    """Features (or pairs of them) that every failing case has and no passing case has."""
    if not failing or not passing:
        return []
    common = [f for f in failing[0].features if all(f in r.features for r in failing)]
    singles = [(f,) for f in common if not any(f in r.features for r in passing)]
    if singles:
        return singles
    return [(a, b) for i, a in enumerate(common) for b in common[i + 1:]
            if not any(a in r.features and b in r.features for r in passing)][:1]


def _pattern(records: list[Evidence]) -> str:
    failing = [r for r in records if not r.passed]
    found = _separators(failing, [r for r in records if r.passed])
    if not found:
        return ""
    first = found[0]
    which = first[0] if len(first) == 1 else f"{first[0]} and {first[1].removeprefix('with ')}"
    raised = {r.raised for r in failing}
    how = (f" (raising {next(iter(raised))})" if len(raised) == 1 and "" not in raised
           else " (some raising an exception)" if raised - {""} else "")
    also = "".join(f"; they are also the ones {f[0]}" for f in found[1:3] if len(f) == 1)
    return (f"A pattern: every case {which} fails{how}, and every other case passes{also}. "
            "Look at what your code does differently for those.")


def analyse(exercise: Exercise, counts, seen: dict | None = None) -> Analysis:
    """Weigh what every case showed (``counts``: the :class:`Evidence` the core counted; plain ids are
    read as cases explained) and the ideas ``seen`` in the source."""
    seen = seen or {}
    order: dict[str, tuple[int, int]] = {}
    for i, m in enumerate(exercise.misconceptions):
        order.setdefault(m.id, (m.priority, i))
    records = [e for e in counts if isinstance(e, Evidence)]
    explained: dict[str, set] = {}
    refuted: dict[str, set] = {}
    weak: dict[str, set] = {}
    missed: Counter = Counter()
    for key, n in counts.items():   # plain ids: n cases explained, which ones unknown
        if isinstance(key, str) and n > 0:
            explained.setdefault(key, set()).update(f"{key}#{i}" for i in range(n))
    for r in records:
        for d in r.explains:
            explained.setdefault(d, set()).add(r.case)
        for d in r.refutes:
            refuted.setdefault(d, set()).add(r.case)
        for d in r.by_raising:
            weak.setdefault(d, set()).add(r.case)
        missed.update(r.misses)
    failing = {r.case for r in records if not r.passed} | {c for cs in explained.values() for c in cs if "#" in c}

    def priority(d):
        return order.get(d, (0, 99))[0]

    def rank(d):   # a positive priority (seen in the source) first; a negative one only breaks ties
        return (-max(priority(d), 0), bool(refuted.get(d)), -len(explained.get(d, ())), missed[d],
                -min(priority(d), 0), order.get(d, (0, 99))[1])

    candidates = sorted(set(explained) | set(seen), key=rank)
    primary = [d for d in candidates if d in seen and priority(d) > 0]   # seen in the source
    uncovered = set(failing)
    for pool in ([d for d in candidates if not refuted.get(d)], candidates):
        while True:   # the idea that explains most of what is left, then the next...
            gains = [(len(explained.get(d, set()) & uncovered), priority(d), -i, d)
                     for i, d in enumerate(pool) if d not in primary]
            best = max(gains, default=None)
            if best is None or best[0] == 0:
                break
            primary.append(best[3])
            uncovered -= explained[best[3]]
        if any(explained.get(d) for d in primary):
            break   # the consistent ideas explain something: the refuted ones are not needed
    explained_by_primary = set().union(*(explained.get(d, set()) for d in primary))

    def also(d):   # another explanation worth naming after the primary ones
        mine = explained.get(d, set())
        if d in seen or mine - explained_by_primary:
            return True
        return not refuted.get(d) and not mine <= weak.get(d, set())   # not just "it would raise", once more

    rest = [d for d in candidates if d not in primary and also(d)]
    # the pattern, where no idea says why the cases failed (none, or only what happened: a window past the edge)
    pattern = _pattern(records) if uncovered or all(priority(d) < 0 for d in primary) else ""
    return Analysis(primary + rest, primary, sorted(c for c in uncovered if "#" not in c), pattern)


def ranked(exercise: Exercise, counts: Counter, seen: dict | None = None) -> list[str]:
    """Diagnosis ids, best explanation first: an idea seen in the source (priority), then the ideas that
    together explain the failing cases, consistent with the passing ones (:func:`analyse`), then the others
    that no passing case rules out."""
    return analyse(exercise, counts, seen).ids


def explanation(exercise: Exercise, counts: Counter, seen: dict | None = None) -> str:
    """The feedback's "Likely cause" for what the cases showed: the hint of each idea that together explain
    the failures (with the source line where one was seen), and the pattern across cases where they leave
    failures unexplained; '' when there is nothing to say."""
    seen = seen or {}
    a = analyse(exercise, counts, seen)
    parts = []
    for i, d in enumerate(a.primary):
        parts.append(("Likely cause: " if i == 0 else "And also: ") + exercise.misconception(d).hint)
        if seen.get(d):
            parts.append(f"See {seen[d][0].line}.")
    if a.pattern:
        parts.append(a.pattern)
    return " ".join(parts)


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
