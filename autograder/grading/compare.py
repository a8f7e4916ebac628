"""Staged checks of one case: runs -> ndarray -> shape -> dtype -> values -> inputs unchanged (SPEC §3).

The first stage that fails is the verdict, with a message that says what was called, what came back and
what was expected. Values are compared in float64 with a tolerance that grows with the number of terms
each output sums, so correct float32 work passes.
"""

from __future__ import annotations

import numbers
import reprlib
from dataclasses import dataclass

import numpy as np

from ..sandbox.replies import ErrorRecord
from ..sandbox.runner import Outcome
from ..sandbox.runtime.protocol import Opaque
from .cases import Case
from .kinds import case_kind
from .results import Stage
from ..sandbox.runtime.stubs import UNANSWERED

__all__ = ["Verdict", "STAGES", "HIDDEN_MESSAGES", "builtin_error", "describe_call", "describe_value", "check", "close_enough",
           "absolute_tolerance", "RELATIVE_SLACK", "difference", "part_terms"]

STAGES = tuple(Stage)
_EPS32 = float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class Verdict:
    """The result of one case: passed, or the stage that failed and why."""

    passed: bool
    stage: Stage
    message: str


def _arg(value) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.shape} {value.dtype}"
    return repr(value)


def describe_call(case: Case, names: tuple[str, ...] = ()) -> str:
    """``convolve(images (2, 6, 5, 3) float64, kernels (3, 3, 3, 2) float64, 'same', (2, 2))``."""
    if case.is_answer:
        return f"the variable {case.function}"
    parts = []
    for i, a in enumerate(case.args):
        name = names[i] if i < len(names) else None
        parts.append(f"{name} {_arg(a)}" if isinstance(a, np.ndarray) and name else
                     (f"{name}={_arg(a)}" if name else _arg(a)))
    return f"{case.function}({', '.join(parts)})"


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = 80


def describe_value(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an ndarray of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, Opaque):
        return value.describe()
    try:   # bounded: a reply can hold a huge string, list or number, and repr() of it would be huge too
        text = _SHORT.repr(value.item() if isinstance(value, np.generic) else value)
    except Exception:  # noqa: BLE001 - e.g. an int too long to print
        text = "(too large to show)"
    return f"{type(value).__name__} {text if len(text) < 80 else text[:77] + '...'}"


def _magnitude(case: Case) -> float:
    mag = 1.0
    for a in case.args:
        if isinstance(a, np.ndarray) and a.size and a.dtype.kind in "buif":
            mag *= max(float(np.max(np.abs(a.astype(np.float64)))), 1.0)
    return mag


#: The relative part of the tolerance: |got - want| may exceed the absolute part by this share of |want|.
RELATIVE_SLACK = 1e-6


def absolute_tolerance(terms: int, magnitude: float) -> float:
    """The absolute part of the tolerance: 32 float32 epsilons for each of ``terms`` products of ``magnitude``."""
    return 32 * _EPS32 * max(terms, 1) * magnitude


def close_enough(got: np.ndarray, want: np.ndarray, terms: int, magnitude: float) -> np.ndarray:
    """Elementwise: |got - want| <= :func:`absolute_tolerance` + :data:`RELATIVE_SLACK` * |want|."""
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    tol = absolute_tolerance(terms, magnitude) + RELATIVE_SLACK * np.abs(w)
    with np.errstate(invalid="ignore"):
        return np.abs(g - w) <= tol


def difference(got: np.ndarray, want: np.ndarray, ok: np.ndarray, hidden: bool = False) -> str:
    """A summary of where ``got`` and ``want`` differ; for a hidden case, without any expected value."""
    bad = np.argwhere(~ok)
    first = tuple(int(i) for i in bad[0])
    with np.errstate(invalid="ignore"):
        worst = float(np.nanmax(np.abs(got.astype(np.float64) - want.astype(np.float64)))) \
            if np.isfinite(got).any() else float("nan")
    text = f"{len(bad)} of {want.size} values differ (largest difference {worst:.4g})"
    if hidden:
        return f"{text}; the first at index {first}"
    return f"{text}; the first at index {first}: got {got[first]:.6g}, expected {want[first]:.6g}"


def part_terms(case: Case, part: int | None) -> int:
    """The products each value of ``part`` of the result sums (``FunctionSpec.terms`` gives one count per
    part for a function that returns a tuple)."""
    terms = case.terms
    if isinstance(terms, tuple):
        return terms[part or 0]
    return terms


def _check_array(case: Case, want: np.ndarray, got, call: str, part: int | None = None) -> Verdict:
    if not isinstance(got, np.ndarray):
        return Verdict(False, Stage.NDARRAY, f"{call} returned {describe_value(got)}; expected an ndarray of shape "
                                         f"{want.shape}")
    if got.shape != want.shape:
        return Verdict(False, Stage.SHAPE, f"{call} returned shape {got.shape}; expected {want.shape}")
    if got.dtype.kind != "f":
        return Verdict(False, Stage.DTYPE, f"{call} returned dtype {got.dtype}; expected floats ({want.dtype}): "
                                       "integer outputs truncate the products")
    if not np.isfinite(got).all():
        return Verdict(False, Stage.VALUES, f"{call} returned {int((~np.isfinite(got)).sum())} NaN or infinite values")
    ok = close_enough(got, want, part_terms(case, part), _magnitude(case))
    if not ok.all():
        return Verdict(False, Stage.VALUES, f"{call}: {difference(got, want, ok, case.hidden)}")
    return Verdict(True, Stage.VALUES, "")


def _check_scalar(case: Case, want, got, call: str) -> Verdict:
    shown = "" if case.hidden else f" {want}"
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, numbers.Number):
        return Verdict(False, Stage.NDARRAY, f"{call} returned {describe_value(got)}; expected an int")
    if isinstance(want, numbers.Integral) and not isinstance(got, numbers.Integral):
        if float(got) == want:
            return Verdict(False, Stage.DTYPE, f"{call} returned {got!r}, a {type(got).__name__}; expected the int{shown} "
                                           "(use // rather than / to keep integers)")
        return Verdict(False, Stage.VALUES, f"{call} returned {got!r}, a {type(got).__name__}; the answer is an int"
                                        + ("" if case.hidden else f", {want}"))
    if got != want:
        return Verdict(False, Stage.VALUES, f"{call} returned {got!r}" + ("; that is not the answer" if case.hidden
                                                                       else f"; expected {want}"))
    return Verdict(True, Stage.VALUES, "")


def _check_parts(case: Case, want: tuple, got, call: str) -> Verdict:
    """A function that returns a tuple (``FunctionSpec.parts`` names its items): the right number of
    items, then each checked as a value of its own; the first wrong item is the verdict."""
    names = case.spec.parts or tuple(f"item {i}" for i in range(len(want)))
    if not isinstance(got, (tuple, list)) or len(got) != len(want):
        what = f"a tuple of {len(got)}" if isinstance(got, (tuple, list)) else describe_value(got)
        return Verdict(False, Stage.NDARRAY, f"{call} returned {what}; expected a tuple of {len(want)} "
                                             f"({', '.join(names)})")
    for i, (w, g) in enumerate(zip(want, got)):
        label = f"{call}[{i}] ({names[i]})"
        verdict = _check_array(case, w, g, label, i) if isinstance(w, np.ndarray) else _check_scalar(case, w, g, label)
        if not verdict.passed:
            return verdict
    return Verdict(True, Stage.VALUES, "")


def _check_answer(case: Case, want, got, call: str) -> Verdict:
    if isinstance(want, float):
        if isinstance(got, numbers.Number) and not isinstance(got, bool) and abs(float(got) - want) < case.spec.tolerance:
            return Verdict(True, Stage.VALUES, "")
        return Verdict(False, Stage.VALUES, f"{call} is {describe_value(got)}; expected a different number")
    if isinstance(want, np.ndarray):
        try:
            arr = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return Verdict(False, Stage.NDARRAY, f"{call} is {describe_value(got)}; expected a {want.shape} array")
        if arr.shape != want.shape:
            return Verdict(False, Stage.SHAPE, f"{call} has shape {arr.shape}; expected {want.shape}")
        ok = np.abs(arr - want) < case.spec.tolerance
        if not ok.all():
            return Verdict(False, Stage.VALUES, f"{call}: {int((~ok).sum())} of {want.size} values are not right yet")
        return Verdict(True, Stage.VALUES, "")
    # lists of shapes or counts
    try:
        norm = [tuple(int(v) for v in x) if isinstance(x, (tuple, list)) else int(x) for x in got]
    except (TypeError, ValueError):
        return Verdict(False, Stage.NDARRAY, f"{call} is {describe_value(got)}; expected a list of {len(want)} entries")
    if len(norm) != len(want):
        return Verdict(False, Stage.SHAPE, f"{call} has {len(norm)} entries; expected {len(want)} (one per layer)")
    wrong = [i + 1 for i, (a, b) in enumerate(zip(norm, want)) if a != b]
    if wrong:
        return Verdict(False, Stage.VALUES, f"{call}: layer(s) {', '.join(map(str, wrong))} not right yet")
    return Verdict(True, Stage.VALUES, "")


def _unchanged(case: Case, after: tuple) -> Verdict | None:
    for i, (before, now) in enumerate(zip(case.args, after)):
        if isinstance(before, np.ndarray) and isinstance(now, np.ndarray):
            if before.shape != now.shape or not np.array_equal(before, now, equal_nan=True):
                return Verdict(False, Stage.UNCHANGED, f"argument {i + 1} ({before.shape} {before.dtype}) was modified "
                                                  "in place; work on a copy (np.pad returns a new array)")
    return None


#: What a failed hidden case says, by stage: nothing that came from the case's inputs or from what the
#: student's code returned, raised or printed (a function can encode its hidden inputs in any of them:
#: an exception's text or class name, a returned string, a shape, which values differ).
HIDDEN_MESSAGES = {
    Stage.RUNS: "raised an exception",
    Stage.NDARRAY: "returned a value of the wrong type",
    Stage.SHAPE: "returned an array of the wrong shape",
    Stage.DTYPE: "returned an integer array; expected floats",
    Stage.VALUES: "returned wrong values",
    Stage.UNCHANGED: "modified an input array in place; work on a copy",
}


def builtin_error(kind: str) -> bool:
    """Whether ``kind`` names a built-in exception (a name the child cannot choose)."""
    import builtins

    return isinstance(getattr(builtins, kind, None), type) and issubclass(getattr(builtins, kind), BaseException)


def check(case: Case, want, outcome: Outcome, param_names: tuple[str, ...] = ()) -> Verdict:
    """The staged verdict of one case, from the reference's answer ``want`` and the child's ``outcome``.

    A hidden case's verdict keeps its stage, and its message is the fixed sentence of
    :data:`HIDDEN_MESSAGES` (naming a built-in exception's type).
    """
    verdict = _staged(case, want, outcome, param_names)
    if verdict.passed or not case.hidden:
        return verdict
    kind = case_kind(case)
    hidden = f"a hidden case ({kind})" if kind else "a hidden case"
    message = f"`{case.function}` on {hidden} {HIDDEN_MESSAGES.get(verdict.stage, 'failed')}"
    if verdict.stage == Stage.RUNS and not outcome.ok:
        error = outcome.error.type if outcome.error else ""
        if outcome.by_grader and error in ("Timeout", "BudgetSpent"):
            return verdict   # the grader's own words about its own limits
        if outcome.by_grader and error == "ProcessDied":
            message = f"`{case.function}` on {hidden} ended the process running it"
        elif builtin_error(error):
            message = f"`{case.function}` on {hidden} raised {error}"
        # no line: the child reports it, and a function can raise from any line number it likes
    return Verdict(False, verdict.stage, message)


def _staged(case: Case, want, outcome: Outcome, param_names: tuple[str, ...] = ()) -> Verdict:
    call = describe_call(case, param_names)
    if not outcome.ok:
        err = outcome.error or ErrorRecord("Error")
        if err.type == "NotImplementedError":
            return Verdict(False, Stage.RUNS, f"{case.function} is not implemented yet")
        where = f" at line {err.line} ({(err.code or '').strip()})" if err.line else ""
        return Verdict(False, Stage.RUNS, f"{call} raised {err.type}: {err.message}{where}")
    got = outcome.value
    if case.is_answer:
        if got is UNANSWERED or isinstance(got, Opaque) and got.type_name == "ellipsis":
            return Verdict(False, Stage.RUNS, f"{case.function} is not answered yet")
        return _check_answer(case, want, got, call)
    if isinstance(want, np.ndarray):
        verdict = _check_array(case, want, got, call)
    elif isinstance(want, tuple):
        verdict = _check_parts(case, want, got, call)
    else:
        verdict = _check_scalar(case, want, got, call)
    if verdict.passed:
        return _unchanged(case, outcome.args_after) or verdict
    return verdict
