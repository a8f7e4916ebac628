"""What an exercise is, as typed data: one :class:`Exercise` holds all of it.

Its signature (:class:`FunctionSpec`), its cases (:class:`Row` generators, each row with a stable id), its
answer (the reference, named and imported only when a case needs it, so reading the catalogue never
loads Numba) and tolerance (:attr:`FunctionSpec.terms`), its misconceptions (:class:`Misconception`), its
points and its tier workload (:class:`Workload`). Each family module of :mod:`autograder.exercises`
defines its exercises whole; :mod:`.registry` only collects them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..grading.results import Tier
from .policy import RULE_POINTS

__all__ = ["REQUIRED", "Param", "Row", "row", "FunctionSpec", "Answer", "Call", "Misconception", "Workload",
           "Points", "Exercise", "reference", "noise"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Marks a parameter without a default.
REQUIRED = _Required()


def reference(name: str):
    """The reference function ``name`` of :mod:`autograder.reference`, imported now (Numba loads here)."""
    return getattr(importlib.import_module("autograder.reference"), name)


@dataclass(frozen=True)
class Param:
    """One parameter of a catalogue function.

    ``added`` marks the parameters this course added to signatures that older courses already use
    (``dilation``, ``pool``'s ``padding``): a submission without them is still graded on every case that
    does not need them (SPEC §2, compatibility).
    """

    name: str
    default: object = REQUIRED
    added: bool = False

    def render(self) -> str:
        return self.name if self.default is REQUIRED else f"{self.name}={self.default!r}"


@dataclass(frozen=True)
class Row:
    """One case as its exercise declares it: a stable ``id`` (unique in the exercise, never derived from
    the inputs: inserting a case renames no other), what it covers, and its arguments by name."""

    id: str
    note: str
    values: dict = field(compare=False)


def row(id: str, note: str, **values) -> Row:
    return Row(id, note, values)


def _one_term(values: dict) -> int:
    return 1


def _no_cases(*_):
    return []


@dataclass(frozen=True)
class FunctionSpec:
    """A function the student writes: its signature, its cases, and the reference that answers them.

    Attributes
    ----------
    ref : str
        Name of the reference function in :mod:`autograder.reference` (see :attr:`reference`).
    terms : callable
        ``terms(values) -> int``: how many products each output value sums, for the case's named
        arguments; the comparison's tolerance grows with it, so correct float32 work passes.
        For a function that returns a tuple, one count per item.
    public, hidden : callable
        ``public() -> [Row]``, the same for everyone; ``hidden(rng) -> [Row]``, drawn per student.
    parts : tuple of str
        The names of the items of a tuple result (``('d_images', 'd_kernels', 'd_bias')``); empty for
        one value.
    """

    name: str
    params: tuple[Param, ...]
    ref: str
    returns: str
    terms: Callable[[dict], int | tuple[int, ...]] = _one_term
    public: Callable[[], list[Row]] = _no_cases
    hidden: Callable[..., list[Row]] = _no_cases
    parts: tuple[str, ...] = ()

    @property
    def reference(self):
        return reference(self.ref)

    def signature(self) -> str:
        return f"{self.name}({', '.join(p.render() for p in self.params)})"

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def named(self, args: tuple) -> dict:
        """Positional ``args`` by parameter name, defaults filled in."""
        values = {p.name: p.default for p in self.params}
        values.update({p.name: a for p, a in zip(self.params, args)})
        return values


@dataclass(frozen=True)
class Answer:
    """A number (or array, or list) the student computes by hand and assigns to a variable; ``value()``
    computes the right one."""

    name: str
    question: str
    value: Callable[[], object]
    tolerance: float = 1e-6


@dataclass(frozen=True)
class Call:
    """What a misconception's predictor sees: the case, its arguments by name, the right answer."""

    case: object
    args: dict
    want: object


@dataclass(frozen=True)
class Misconception:
    """A known wrong idea, and how to recognise it in a wrong answer (SPEC §3, ids of SPEC §5).

    Attributes
    ----------
    id, hint : str
        The diagnosis id in results, and what the student is told.
    functions : tuple of str
        The catalogue functions it concerns.
    predicts : tuple of callable
        ``predict(call) -> output or None``: what a student holding the idea would have returned, or
        :data:`~.common.RAISES` where their loop would raise (a window past the padded image). A
        prediction equal to the right answer names nothing; one that raises, the reference refusing the
        altered arguments, is skipped. A case that passes although every form predicts a wrong answer
        rules the idea out (:func:`~autograder.grading.diagnose.analyse`).
    explains : callable, optional
        ``explains(call, got, stage) -> bool``: a test of what came back, for ideas no single output shows.
    static : callable, optional
        ``static(submission, function) -> [finding]``: the idea seen in the source, when a case failed.
    priority : int
        Positive: ranks first whatever the counts (a static finding explains the failures best); otherwise
        ideas no passing case rules out come first, then the number of cases explained; a negative
        priority only breaks ties (an idea that says what happened, not why), then the order of the
        exercise's list (most specific first).
    """

    id: str
    hint: str
    functions: tuple[str, ...] = ()
    predicts: tuple[Callable[[Call], object], ...] = ()
    explains: Callable[[Call, object, str], bool] | None = None
    static: Callable[[object, str], list] | None = None
    priority: int = 0

    def concerns(self, function: str) -> bool:
        return function in self.functions

    def seen(self, functions, predicts=(), explains=None, static=None) -> Misconception:
        """This idea (its id, hint and priority) as it shows in ``functions``, told by these tests."""
        return replace(self, functions=tuple(functions), predicts=tuple(predicts), explains=explains,
                       static=static)


def noise(rng, shape):
    """A workload's input values: float64, uniform in [-1, 1). A grading draws 20-30 MB of fresh inputs for
    each tiered exercise, and uniform values cost a quarter of normal ones to draw (1.2 against 4.4 ms for
    the pool workload's 3 MB); the values themselves make no difference to any solution's time."""
    return rng.uniform(-1.0, 1.0, shape)


@dataclass(frozen=True)
class Workload:
    """A standard performance workload and its tier bounds (SPEC §3).

    ``make(rng, m)`` returns the named inputs for a batch of ``m`` images (values from :func:`noise`); ``probe`` is the small batch timed
    first. ``bounds`` are the upper bounds of ``r = t_student / t_reference`` for each tier, fastest first
    (above the last, ``loops``), each near the geometric mean of the canonical classes' median ratios on
    either side (``python benchmarks/tiers.py``, docs/tiers.md).
    """

    name: str
    m: int
    probe: int
    make: Callable
    bounds: tuple[tuple[Tier, float], ...]


@dataclass(frozen=True)
class Points:
    """Points for correct cases (partial credit) and for the measured tier; rule points are
    :data:`~.policy.RULE_POINTS`, in every exercise with a loop budget."""

    correctness: float
    tier: float = 0.0


@dataclass(frozen=True)
class Exercise:
    """One exercise of the catalogue.

    Attributes
    ----------
    slug : str
        Stable id used in results, the CLI (``--exercise``) and the notebooks.
    notebook : int
        Lesson notebook (1-8) that teaches it.
    functions : tuple of FunctionSpec
        What the student writes; empty for exercises answered with numbers.
    answers : tuple of Answer
        Variables the student assigns, for exercises answered with numbers.
    misconceptions : tuple of Misconception
        The wrong ideas its diagnosis knows, most specific first.
    loop_budget : int or None
        Most ``for`` loops (comprehensions included, ``while`` never) in the function and the helpers it
        calls; None where no rule applies.
    workload : Workload or None
        The performance workload its tier is measured on; None where none.
    """

    slug: str
    title: str
    notebook: int
    points: Points
    functions: tuple[FunctionSpec, ...] = ()
    answers: tuple[Answer, ...] = ()
    misconceptions: tuple[Misconception, ...] = ()
    loop_budget: int | None = None
    workload: Workload | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Names the grader looks for in a submission."""
        return tuple(f.name for f in self.functions) + tuple(a.name for a in self.answers)

    def function(self, name: str) -> FunctionSpec:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def rule_points(self) -> dict[str, float]:
        if not self.functions:
            return {}
        return {rule: points for rule, points in RULE_POINTS.items()
                if rule != "loop-budget" or self.loop_budget is not None}

    def misconception(self, id: str) -> Misconception:
        for m in self.misconceptions:
            if m.id == id:
                return m
        raise KeyError(id)

    def earned(self, passed: int, total: int, rules_kept=()) -> tuple[float, float]:
        """Points without a tier, as ``(correctness, rules)``: correctness by the share of cases passed,
        and each kept rule's points (none when no case passes: an empty function keeps every rule)."""
        rules = sum(self.rule_points.get(rule, 0.0) for rule in rules_kept) if passed else 0.0
        return self.points.correctness * passed / max(total, 1), rules

    def score(self, passed: int, total: int, rules_kept=()) -> float:
        """:meth:`earned`, summed."""
        return sum(self.earned(passed, total, rules_kept))

    @property
    def max_score(self) -> float:
        """Points available without a tier (tier points join when a tier is measured)."""
        return self.points.correctness + sum(self.rule_points.values())

    def tier_points(self, tier: Tier | str | None) -> float:
        """The points a measured ``tier`` earns (none when no tier was measured)."""
        from ..timing.tiers import TIER_SHARE

        return self.points.tier * TIER_SHARE[Tier(tier)] if tier else 0.0
