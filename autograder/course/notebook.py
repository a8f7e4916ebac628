"""Instant feedback in the notebook: ``from autograder import check``, then ``check(convolve)``.

(This module is ``notebook``, not ``check``, so that importing it never replaces the package's ``check``
function with a module.)

Runs the exercise's public cases and a few hidden ones in the student's own kernel (this is for learning,
not defence: the hardened path is ``convcourse grade``), with the same staged checks, messages and
diagnoses as the grader. In Jupyter it shows an HTML report with, for each failed public case, a picture
of what was expected, what came back and where they differ; elsewhere it prints text.

>>> check(convolve_grayscale_valid)                                    # doctest: +SKIP
>>> check("correlate_by_hand", output_00=1, output_full=my_answer)     # doctest: +SKIP
"""

from __future__ import annotations

import base64
import contextlib
import html
import inspect
import io
import os
import re
import textwrap
from pathlib import Path

import numpy as np

from ..exercises import registry
from ..exercises.model import Exercise
from ..exercises.policy import ALLOWED_IMPORTS
from ..formats.html import exercise_html
from ..grading.cases import hidden_cases, public_cases
from ..grading.core import grade_cases
from ..grading.results import ExerciseResult, RuleResult
from ..grading.rules import check_rules
from ..grading.runner import InProcess
from ..grading.submission import Source, Submission

__all__ = ["check", "autograde", "kernel_rules", "CheckReport", "Score"]


class CheckReport:
    """What :func:`check` found: the grading core's :class:`~autograder.grading.results.ExerciseResult` (the
    grader's own verdicts, diagnoses and message for these cases), pictures, and notes for the notebook
    only (what to do next, what the run wrote to stderr)."""

    def __init__(self, result: ExerciseResult, pictures: dict[str, str], notes: list[str] | None = None):
        self.result = result
        self.pictures = pictures
        self.notes = list(notes or [])

    @property
    def passed(self) -> bool:
        return self.result.passed == self.result.total and not self.result.borrowed

    def _repr_html_(self) -> str:
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return notes + exercise_html(self.result, self.pictures)

    def __str__(self) -> str:
        r = self.result
        lines = [f"{r.slug}: {r.passed} of {r.total} cases pass", *self.notes, r.message]
        for c in r.cases:
            mark = "ok  " if c.passed else "FAIL"
            lines.append(f"  {mark} {c.name:10} {'' if c.passed else c.stage + ': ' + c.message}")
        return "\n".join(lines)


def _exercise_for(target) -> tuple[Exercise, str | None]:
    name = target if isinstance(target, str) else getattr(target, "__name__", "")
    if name in {e.slug for e in registry.EXERCISES}:
        return registry.get(name), None
    if (exercise := registry.exercise_of(name)) is not None:
        return exercise, name
    known = ", ".join(n for e in registry.EXERCISES for n in e.names if e.functions)
    raise ValueError(f"check: {name!r} is not an exercise function; expected one of {known}")


def _picture(want: np.ndarray, got, case=None) -> str | None:
    """Expected vs received for a failed public case (the plane from the exercise's output layout; small
    planes also as numbers): :func:`autograder.course.figures.failed_case_html`."""
    from .figures import failed_case_html

    return failed_case_html(want, got, case)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def _perf(exercise, fn) -> tuple[str, str]:
    """In-kernel timing of ``fn`` against the reference on the exercise's workload: (tier, HTML/text).

    For learning only (the hardened measurement is ``convcourse grade``): same workload, fresh inputs for
    every call, the reference single-threaded, median of five.
    """
    import statistics
    import time

    from ..reference import single_threaded
    from ..timing.tiers import canonical_ratios, classify, workload_args

    wl = exercise.workload
    spec = exercise.functions[0]
    rng = np.random.default_rng(0)
    fn(*workload_args(spec, wl.make(rng, 1)))
    mine, ref = [], []
    for _ in range(5):
        args = workload_args(spec, wl.make(rng, wl.m))
        with single_threaded():
            t0 = time.perf_counter()
            spec.reference(*args)
            ref.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            fn(*args)
            mine.append(time.perf_counter() - t0)
    ratio = statistics.median(mine) / statistics.median(ref)
    tier = classify(ratio, wl)
    text = (f"Tier: {tier}: {statistics.median(mine) * 1e3:.2f} ms against the reference's "
            f"{statistics.median(ref) * 1e3:.2f} ms ({ratio:.1f}x) on {wl.m} images")
    bars = canonical_ratios(wl)
    bars["you"] = ratio
    return tier, text + _bar_chart(bars, wl)


def _bar_chart(ratios: dict[str, float], workload) -> str:
    try:
        from matplotlib.figure import Figure   # not pyplot: the notebook's own backend stays as it is
    except ImportError:
        return ""
    names = list(ratios)
    fig = Figure(figsize=(6, 0.35 * len(names) + 1))
    ax = fig.subplots()
    ax.barh(names, [max(ratios[n], 0.1) for n in names],
            color=["#cf222e" if n == "you" else "#8c959f" for n in names])
    ax.set_xscale("log")
    for tier, bound in workload.bounds:
        ax.axvline(bound, color="#0969da", lw=0.8, ls="--")
        ax.text(bound, len(names) - 0.5, f" {tier} | ", fontsize=7, ha="right", color="#0969da")
    ax.set_xlabel("time / reference time (log scale; shorter is faster)")
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=80)
    return ("<br/><img alt='your time against the reference and the canonical implementations' "
            f"src='data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}'/>")


def _advice(exercise: Exercise, result: ExerciseResult, functions: dict, answers: dict,
            rules: list[RuleResult] | None) -> list[str]:
    """What to do next, for the notebook only: write what is not written yet, pass what was not passed,
    and why no rule points were counted when the rules could not be read."""
    notes = []
    first = next((c for c in result.cases if not c.passed), None)
    if not result.passed and first is not None and first.message.endswith(("is not implemented yet",
                                                                            "is not answered yet")):
        what = "answer" if first.message.endswith("answered yet") else "function"
        notes.append(f"Not implemented yet: write the {what} above, then run this check again.")
    missing = [n for n in exercise.names if n not in functions and n not in answers]
    if missing and (exercise.answers or not functions):
        given = ", ".join(f"{n}=..." if exercise.answers else n for n in missing)
        notes.append(f"Pass {given} to check() (or autograde()) to check {'them' if len(missing) > 1 else 'it'}.")
    if exercise.rule_points and functions and not rules:
        notes.append("The rules could not be read (the function's source is not available here), so their "
                     "points are not counted; the grader reads them from your file.")
    return notes


def _evaluate(exercise: Exercise, functions: dict, answers: dict, cases,
              rules: list[RuleResult] | None = None, sub: Submission | None = None) -> CheckReport:
    """Grade ``cases`` with the grading core, on the student's ``functions`` (name -> callable) and
    ``answers`` (name -> value) called here; pictures of each public case that came back wrong."""
    pictures = {}

    def observe(case, want, outcome, verdict):
        if not verdict.passed and outcome.ok and not case.is_answer and not case.hidden \
                and isinstance(want, np.ndarray):
            if pic := _picture(want, outcome.value, case):
                pictures[case.name] = pic

    if sub is None:   # nothing to read the rules from: none are reported
        sub, rules = Submission("notebook", []), rules or []
    result = grade_cases(exercise, cases, InProcess(functions, answers), sub, rules=rules, observe=observe)
    return CheckReport(result, pictures, _advice(exercise, result, functions, answers, rules))


def _show(report: CheckReport) -> None:
    if _in_notebook():
        from IPython.display import HTML, display

        display(HTML(report._repr_html_()))
    else:
        print(report)


def check(target, *, exercise: str | None = None, hidden: int = 3, student: str | None = None,
          show: bool = True, perf: bool = False, loop_budget: bool = True, **answers):
    """Check one exercise function (or the answers of a by-hand exercise) and show the report.

    Parameters
    ----------
    target : function or str
        The student's function (found by its catalogue name), or an exercise slug.
    exercise : str, optional
        Check ``target`` as this catalogue function (a slug or function name) whatever its own name, e.g.
        a first attempt ``convolve_grayscale_valid_loops`` as ``"convolve_grayscale_valid"``.
    hidden : int
        How many hidden cases to add to the public ones (default 3).
    student : str, optional
        Seeds the hidden cases (default ``$CONVCOURSE_STUDENT`` or "practice").
    show : bool
        Display the report (HTML in Jupyter, text elsewhere) and return None; with ``show=False`` return
        the :class:`CheckReport` instead.
    perf : bool
        When every case passes, also time the function against the reference and show its tier with a
        chart of where it stands among the canonical implementations.
    loop_budget : bool
        False for a step that allows any number of ``for`` loops (notebook 1's first try): the budget is
        then neither marked nor counted (a ``while``, never allowed, is still reported).
    **answers
        For exercises answered with numbers: ``output_00=..., output_full=...``.

    Notes
    -----
    The loop budget and the import rules are checked too when the function's source can be read; they
    are reported, and their points counted, by :func:`autograde`.
    """
    ex, only = _exercise_for(exercise if exercise is not None else target)
    if callable(target) and only is None and ex.functions:
        own = getattr(target, "__name__", "")
        only = own if exercise is None and own in ex.names else ex.functions[0].name
    student = _student(student)
    cases = public_cases(ex.slug) + hidden_cases(ex.slug, student)[:hidden] if ex.functions \
        else public_cases(ex.slug)
    if only is not None and ex.functions:
        cases = [c for c in cases if c.function == only]
    functions = {only: target} if callable(target) and only else {}
    sub = kernel_source(functions)
    rules, unmarked = kernel_rules(ex, functions, sub) or [], 0.0
    if not loop_budget:   # this step allows any number of for loops: keep only a `while` finding
        kept = [r for r in rules if r.id != "loop-budget" or (not r.passed and "`while`" in r.message)]
        unmarked = ex.rule_points.get("loop-budget", 0.0) if len(kept) < len(rules) else 0.0
        rules = kept
    report = _evaluate(ex, functions, answers, cases, rules, sub)
    report.result.max_score -= unmarked   # the budget's point is not counted either: 5 of 5, not 5 of 6
    if perf and report.passed and ex.workload and callable(target):
        report.result.tier, perf_html = _perf(ex, target)
        report.result.message += " " + perf_html.split("<br/>")[0]
        report.pictures["perf"] = perf_html
    if not show:
        return report
    _show(report)
    return None


class Score(float):
    """The points of an autograded cell: a number for nbgrader (its partial credit) that shows the report.

    nbgrader reads a grade cell's ``text/plain`` result as its partial credit; Jupyter shows the HTML.
    """

    report: CheckReport

    def __new__(cls, value: float, report: CheckReport):
        obj = super().__new__(cls, round(value, 4))
        obj.report = report
        return obj

    def __repr__(self) -> str:
        return f"{float(self):g}"

    def _repr_html_(self) -> str:
        r = self.report.result
        return (f"<p><b>Points: {float(self):g} of {r.max_score:g}</b> (cases {r.passed} of {r.total}"
                f"{', rules ' + ', '.join(x.id + (' kept' if x.passed else ' broken') for x in r.rules) if r.rules else ''})"
                f"</p>{self.report._repr_html_()}")


def autograde(slug: str, *functions, hidden: bool = False, student: str | None = None, **answers) -> Score:
    """Grade one exercise in an nbgrader test cell: its cases and its rules, as partial credit.

    Parameters
    ----------
    slug : str
        The exercise (registry slug).
    *functions : callable
        The student's functions of the exercise, found by their catalogue names.
    hidden : bool
        Add the student's hidden cases (set inside the cell's ``### BEGIN HIDDEN TESTS`` region, so only
        nbgrader's autograde runs them).
    student : str, optional
        Seeds the hidden cases; by default ``$CONVCOURSE_STUDENT``, else the student folder nbgrader
        autogrades in (``autograded/<student>/<assignment>``), else "practice".
    **answers
        The numbers of an exercise answered by hand.

    Returns
    -------
    Score
        A float between 0 and the exercise's points without a tier (correctness + rules), which nbgrader
        reads as the cell's partial credit; in Jupyter it displays the report.

    Notes
    -----
    Anything written to standard error while grading (a NumPy warning from the student's code, a library
    log line) is captured into the report: nbgrader gives no credit to a cell that wrote to stderr.
    """
    ex = registry.get(slug)
    by_name = {getattr(f, "__name__", ""): f for f in functions}
    fns = {spec.name: by_name.get(spec.name, functions[i] if i < len(functions) else None)
           for i, spec in enumerate(ex.functions)}
    fns = {k: v for k, v in fns.items() if callable(v)}
    student = _student(student)
    cases = public_cases(slug) + (hidden_cases(slug, student) if hidden else [])
    captured = io.StringIO()
    with contextlib.redirect_stderr(captured):
        sub = kernel_source(fns)
        report = _evaluate(ex, fns, answers, cases, kernel_rules(ex, fns, sub) or [], sub)
    if hidden and ex.functions:
        report.notes.append(f"Hidden cases drawn for student {student!r}.")
    text = captured.getvalue().strip()
    if text:
        report.notes.append(f"Written to stderr while grading: {text[:300]}")
    return Score(report.result.score, report)


def _student(student: str | None) -> str:
    if student:
        return student
    if os.environ.get("CONVCOURSE_STUDENT"):
        return os.environ["CONVCOURSE_STUDENT"]
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        here = Path.cwd()
        if here.parent.parent.name == "autograded":
            return here.parent.name
    return "practice"


def _global_names(code):
    """Names a function's code looks up, in nested code too (comprehensions, inner functions)."""
    yield from code.co_names
    for const in code.co_consts:
        if inspect.iscode(const):
            yield from _global_names(const)


def _helpers(functions) -> list:
    """The functions and, transitively, the notebook functions they use (by name, through their globals)."""
    seen, stack = {}, list(functions)
    while stack:
        fn = stack.pop()
        if not inspect.isfunction(fn) or fn.__name__ in seen:
            continue
        seen[fn.__name__] = fn
        for name in _global_names(fn.__code__):
            obj = fn.__globals__.get(name)
            if inspect.isfunction(obj) and obj.__module__ == fn.__module__:
                stack.append(obj)
    return list(seen.values())


def kernel_source(functions: dict) -> Submission | None:
    """The source of ``functions`` (name -> function defined in this kernel) and of the notebook functions
    they use, as a submission the grading core reads (rules, ``is`` comparisons); None when the source
    cannot be read. A function checked as another (``check(first_try, exercise=...)``) is read under the
    catalogue name."""
    if not functions:
        return None
    fns = _helpers(functions.values())
    renamed = {fn.__name__: name for name, fn in functions.items() if getattr(fn, "__name__", name) != name}
    try:
        texts = [textwrap.dedent(inspect.getsource(f)) for f in fns]
    except (OSError, TypeError):
        return None
    # each function at its own line of its cell (or file), so that a rule's finding and a run-time error
    # of the same line say the same line number
    sub = Submission("notebook", [
        Source(label=f"`{f.__name__}`", path="notebook",
               text="\n" * (f.__code__.co_firstlineno - 1)
               + (re.sub(rf"^def {re.escape(f.__name__)}\(", f"def {renamed[f.__name__]}(", t, count=1, flags=re.M)
                  if f.__name__ in renamed else t),
               names=_bound_names(f))
        for f, t in zip(fns, texts)])
    return sub


def _bound_names(fn) -> dict[str, str]:
    """What the globals ``fn`` uses stand for, as dotted names (``np`` -> ``numpy``, ``ref`` ->
    ``autograder.reference.pooling.pool``): another cell imported them, so its source does not say."""
    names = {}
    for name in _global_names(fn.__code__):
        obj = fn.__globals__.get(name)
        if inspect.ismodule(obj):
            names[name] = obj.__name__
        elif (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.isbuiltin(obj)) \
                and isinstance(getattr(obj, "__module__", None), str) and obj.__module__ != fn.__module__:
            names[name] = f"{obj.__module__}.{getattr(obj, '__qualname__', name)}"
    return names


def kernel_rules(exercise: Exercise, functions: dict, sub: Submission | None = None) -> list[RuleResult] | None:
    """The exercise's rules for functions defined in this kernel, read from their source
    (:func:`kernel_source`, or ``sub`` made by it).

    The loop budget and the calls come from :func:`autograder.grading.rules.check_rules` on the functions' own
    source (and the notebook functions they use); imports also count the names those functions take from
    their globals (``from scipy.signal import correlate2d`` in another cell). None when there are no rules
    or the source cannot be read.
    """
    if not exercise.functions or not functions:
        return None
    sub = sub or kernel_source(functions)
    if sub is None:
        return None
    rules = check_rules(sub, exercise)
    used = []
    for fn in _helpers(functions.values()):
        for name in _global_names(fn.__code__):
            obj = fn.__globals__.get(name)
            origin = obj.__name__ if inspect.ismodule(obj) else getattr(obj, "__module__", None) \
                if inspect.isfunction(obj) or inspect.isclass(obj) or inspect.isbuiltin(obj) else None
            root = (origin or "").split(".")[0]
            if origin and root not in ALLOWED_IMPORTS and root not in ("builtins", fn.__module__.split(".")[0]):
                used.append(f"`{name}` comes from {origin}, which is not allowed (only numpy and math)")
    if used:
        rules = [RuleResult("forbidden-import", False, "; ".join(sorted(set(used))), r.line)
                 if r.id == "forbidden-import" else r for r in rules]
    return rules
